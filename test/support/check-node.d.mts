export declare function nodeVersionProblem(
  version: string,
  platform: string,
  arch: string,
  execPath?: string,
): string | null;
