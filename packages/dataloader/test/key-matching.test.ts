// How loaders and @Batched match keys that are not plain numbers or strings: dates to the millisecond,
// composite keys given as entities, and loaderFor on entities that share a repository class.
import { type EntityManager, EntityRepositoryType, PrimaryKeyProp, type Rel } from '@mikro-orm/core';
import { Entity, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { BaseRepository } from '@stratum/core';
import { expect, it } from 'vitest';
import { describeEachDriver } from '../../../test/harness/index.js';
import { useSchema } from '../../../test/support/use-schema.js';
import { Batched, loaderFor, loaders } from '../src/index.js';

@Entity()
class Tick {
  @PrimaryKey({ type: 'datetime', length: 3 })
  at!: Date;

  @Property({ type: 'string' })
  label!: string;
}

@Entity({ repository: () => BaseRepository })
class Student {
  [EntityRepositoryType]?: BaseRepository<Student>;

  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string' })
  name!: string;
}

@Entity({ repository: () => BaseRepository })
class Course {
  [EntityRepositoryType]?: BaseRepository<Course>;

  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string' })
  title!: string;
}

@Entity()
class Enrollment {
  [PrimaryKeyProp]?: ['student', 'course'];

  @ManyToOne(() => Student, { primary: true })
  student!: Rel<Student>;

  @ManyToOne(() => Course, { primary: true })
  course!: Rel<Course>;
}

@Entity()
class Grade {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @ManyToOne(() => Enrollment)
  enrollment!: Rel<Enrollment>;

  @Property({ type: 'datetime', length: 3 })
  gradedAt!: Date;
}

/** Batched reads of grades, by enrollment (a composite key) and by the time they were given. */
class Grades {
  constructor(readonly em: EntityManager) {}

  @Batched({ batch: 'gradesFor', key: 'enrollment', many: true })
  gradesOf(_enrollment: Enrollment): Promise<Grade[]> {
    throw new Error('replaced by @Batched');
  }

  gradesFor(enrollments: readonly Enrollment[]): Promise<Grade[]> {
    return this.em.find(Grade, { enrollment: { $in: [...enrollments] } }, { orderBy: { id: 'asc' } });
  }

  @Batched({ batch: 'gradedAtAny', key: 'gradedAt' })
  gradedAt(_at: Date): Promise<Grade | null> {
    throw new Error('replaced by @Batched');
  }

  gradedAtAny(times: readonly Date[]): Promise<Grade[]> {
    return this.em.find(Grade, { gradedAt: { $in: [...times] } });
  }
}

const FIRST = new Date('2024-01-01T00:00:00.100Z');
const SECOND = new Date('2024-01-01T00:00:00.900Z'); // the same second

describeEachDriver('loaders() and @Batched matching keys', (ctx) => {
  const db = useSchema(ctx, [Tick, Student, Course, Enrollment, Grade], (em) => {
    em.create(Tick, { at: FIRST, label: 'first' });
    em.create(Tick, { at: SECOND, label: 'second' });
    const student = em.create(Student, { id: 1, name: 'Ada' });
    const courses = [1, 2].map((id) => em.create(Course, { id, title: `course ${id}` }));
    const enrollments = courses.map((course) => em.create(Enrollment, { student, course }));
    em.create(Grade, { id: 1, enrollment: enrollments[0] as Enrollment, gradedAt: FIRST });
    em.create(Grade, { id: 2, enrollment: enrollments[1] as Enrollment, gradedAt: SECOND });
    em.create(Grade, { id: 3, enrollment: enrollments[1] as Enrollment, gradedAt: new Date('2024-01-02') });
  });

  it('tells apart date keys of the same second', async () => {
    const ticks = await loaders(db.orm.em.fork())
      .entity(Tick)
      .loadMany([new Date(FIRST), new Date(SECOND)]);
    expect(ticks.map((tick) => (tick as Tick).label)).toEqual(['first', 'second']);
  });

  it('@Batched matches rows by a property holding an entity with a composite key, and by a date', async () => {
    const em = db.orm.em.fork();
    const enrollments = await em.find(Enrollment, {}, { orderBy: { course: 'asc' } });
    const grades = new Grades(em);
    const [ofFirst, ofSecond] = await Promise.all(enrollments.map((enrollment) => grades.gradesOf(enrollment)));
    expect((ofFirst as Grade[]).map((grade) => grade.id)).toEqual([1]);
    expect((ofSecond as Grade[]).map((grade) => grade.id)).toEqual([2, 3]);
    const [atFirst, atSecond] = await Promise.all([
      grades.gradedAt(new Date(FIRST)),
      grades.gradedAt(new Date(SECOND)),
    ]);
    expect([atFirst?.id, atSecond?.id]).toEqual([1, 2]);
  });

  it('loaderFor keeps apart two entities that share a repository class', async () => {
    const em = db.orm.em.fork();
    const [student, course] = await Promise.all([
      loaderFor(em.getRepository(Student), 'findByIds').load(1),
      loaderFor(em.getRepository(Course), 'findByIds').load(1),
    ]);
    expect(student).toBeInstanceOf(Student);
    expect(course).toBeInstanceOf(Course);
  });
});
