import { StratumError } from './stratum-error.js';

/**
 * A field name (in `where`, `orderBy`, bulk rows, `countBy`...) is not a property of the entity.
 *
 * @example
 * ```ts
 * await tracks.findPage({ orderBy: { colour: 'asc' } });
 * // UnknownFieldError [E_UNKNOWN_FIELD]: orderBy names "colour", which is not a property of Track.
 * //   Known properties: id, name, album, ...
 * ```
 */
export class UnknownFieldError extends StratumError<'E_UNKNOWN_FIELD'> {
  static override readonly code = 'E_UNKNOWN_FIELD' as const;
  readonly entity: string;
  readonly field: string;

  constructor(entity: string, field: string, where: string, known: readonly string[]) {
    super(
      `${where} names ${JSON.stringify(field)}, which is not a property of ${entity}. ` +
        `Known properties: ${known.join(', ')}.`,
    );
    this.entity = entity;
    this.field = field;
  }
}
