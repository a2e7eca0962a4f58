/**
 * The hand-written migrations and prisma/schema.prisma must describe the same database (DESIGN.md section 3):
 * every model and field of the generated client's DMMF is checked against information_schema / pg_catalog of a
 * database migrated from empty.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaClient } from '../../src/generated/prisma/client.ts';
import type { SqlDriver } from '../../src/store/sql-driver.ts';
import { type DmmfField, type DmmfModel, generatedClientDmmf } from '../support/prisma-dmmf.ts';
import { openTestStore, TEST_STORE_KINDS, type TestStore } from '../support/test-database.ts';

// Building a client does not connect: it is only asked for the schema it was generated from.
const dmmf = generatedClientDmmf(new PrismaClient({ adapter: new PrismaPg({ connectionString: 'postgres://unused' }) }));
const models = dmmf.datamodel.models;

const tableOf = (model: DmmfModel) => model.dbName ?? model.name;
const columnOf = (field: DmmfField) => field.dbName ?? field.name;
const scalarFields = (model: DmmfModel) => model.fields.filter((field) => field.kind === 'scalar' || field.kind === 'enum');

/** Prisma's PostgreSQL type for a scalar (udt_name), honouring the native type attribute. */
function expectedUdt(field: DmmfField): string {
  const native = field.nativeType?.[0];
  const byNative: Record<string, string> = {
    Text: 'text',
    VarChar: 'varchar',
    Char: 'bpchar',
    Uuid: 'uuid',
    Timestamptz: 'timestamptz',
    Timestamp: 'timestamp',
    Date: 'date',
    Integer: 'int4',
    SmallInt: 'int2',
    BigInt: 'int8',
    JsonB: 'jsonb',
    Json: 'json',
  };
  const byType: Record<string, string> = {
    String: 'text',
    Int: 'int4',
    BigInt: 'int8',
    Boolean: 'bool',
    DateTime: 'timestamp',
    Json: 'jsonb',
    Float: 'float8',
    Decimal: 'numeric',
    Bytes: 'bytea',
  };
  const udt = (native && byNative[native]) ?? byType[field.type] ?? field.type;
  return field.isList ? `_${udt}` : udt;
}

interface ColumnRow {
  table_name: string;
  column_name: string;
  is_nullable: 'YES' | 'NO';
  data_type: string;
  udt_name: string;
  datetime_precision: number | null;
  column_default: string | null;
}

interface IndexRow {
  table_name: string;
  columns: string;
  is_unique: boolean;
  is_primary: boolean;
}

interface ForeignKeyRow {
  table_name: string;
  columns: string;
  ref_table: string;
  ref_columns: string;
  on_delete: string;
}

describe.each(TEST_STORE_KINDS)('schema on %s', (kind) => {
  let test: TestStore;
  let columns: Map<string, ColumnRow>;
  let indexes: IndexRow[];
  let foreignKeys: ForeignKeyRow[];

  const column = (model: DmmfModel, field: DmmfField) => columns.get(`${tableOf(model)}.${columnOf(field)}`);

  beforeAll(async () => {
    test = await openTestStore(kind);
    const sql: SqlDriver = test.store.driver;
    const rows = await sql.query<ColumnRow>(
      `SELECT table_name, column_name, is_nullable, data_type, udt_name, datetime_precision::int AS datetime_precision,
              column_default
         FROM information_schema.columns WHERE table_schema = current_schema()`,
    );
    columns = new Map(rows.map((row) => [`${row.table_name}.${row.column_name}`, row]));
    indexes = await sql.query<IndexRow>(
      `SELECT t.relname AS table_name, i.indisunique AS is_unique, i.indisprimary AS is_primary,
              (SELECT string_agg(a.attname, ',' ORDER BY k.ord)
                 FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum) AS columns
         FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
        WHERE t.relnamespace = current_schema()::regnamespace`,
    );
    foreignKeys = await sql.query<ForeignKeyRow>(
      `SELECT t.relname AS table_name, r.relname AS ref_table,
              CASE c.confdeltype WHEN 'c' THEN 'Cascade' WHEN 'r' THEN 'Restrict' WHEN 'n' THEN 'SetNull'
                                 WHEN 'd' THEN 'SetDefault' ELSE 'NoAction' END AS on_delete,
              (SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum) AS columns,
              (SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(c.confkey) WITH ORDINALITY AS k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum) AS ref_columns
         FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class r ON r.oid = c.confrelid
        WHERE c.contype = 'f' AND t.relnamespace = current_schema()::regnamespace`,
    );
  });

  afterAll(async () => {
    await test?.close();
  });

  it('reads the DMMF of the generated client (every model of schema.prisma)', () => {
    expect(models.map((model) => model.name)).toEqual([
      'Person',
      'Request',
      'Decision',
      'GrantHandle',
      'ChatMessage',
      'ConversationRef',
      'ServiceAccount',
      'JitCredential',
      'ApiToken',
      'AuditEvent',
      'AuditHead',
      'PeriodicRun',
      'DevicePosture',
      'SessionRecording',
      'MfaFactor',
      'StepUpChallenge',
    ]);
  });

  it('has a column for every scalar field of every model', () => {
    const missing = models.flatMap((model) =>
      scalarFields(model)
        .filter((field) => !column(model, field))
        .map((field) => `${model.name}.${field.name}`),
    );
    expect(missing).toEqual([]);
  });

  it('makes a column NOT NULL exactly when its field is required', () => {
    // Scalar lists are `required` in the DMMF but Prisma Migrate creates them without NOT NULL; the store reads
    // a NULL list as empty. Their nullability is not compared.
    const mismatched = models.flatMap((model) =>
      scalarFields(model)
        .filter((field) => !field.isList)
        .filter((field) => column(model, field)?.is_nullable !== (field.isRequired ? 'NO' : 'YES'))
        .map((field) => `${model.name}.${field.name} required=${field.isRequired} is_nullable=${column(model, field)?.is_nullable}`),
    );
    expect(mismatched).toEqual([]);
  });

  it('stores list fields as arrays of their element type', () => {
    const lists = models.flatMap((model) => scalarFields(model).filter((f) => f.isList).map((field) => ({ model, field })));
    expect(lists.length).toBeGreaterThan(0);
    const wrong = lists
      .filter(({ model, field }) => {
        const col = column(model, field);
        return col?.data_type !== 'ARRAY' || col.udt_name !== expectedUdt(field);
      })
      .map(({ model, field }) => `${model.name}.${field.name}: ${column(model, field)?.data_type} ${column(model, field)?.udt_name}`);
    expect(wrong).toEqual([]);
  });

  it("gives every column Prisma's type for its field (and millisecond precision for @db.Timestamptz(3))", () => {
    const wrong = models.flatMap((model) =>
      scalarFields(model).flatMap((field) => {
        const col = column(model, field);
        if (!col) return [];
        const problems: string[] = [];
        if (col.udt_name !== expectedUdt(field)) problems.push(`${model.name}.${field.name}: ${col.udt_name} ≠ ${expectedUdt(field)}`);
        const precision = field.nativeType?.[1]?.[0];
        if (field.type === 'DateTime' && precision !== undefined && col.datetime_precision !== Number(precision)) {
          problems.push(`${model.name}.${field.name}: precision ${col.datetime_precision} ≠ ${precision}`);
        }
        return problems;
      }),
    );
    expect(wrong).toEqual([]);
  });

  it('has a database default for every field with @default', () => {
    const missing = models.flatMap((model) =>
      scalarFields(model)
        .filter((field) => field.hasDefaultValue && column(model, field)?.column_default == null)
        .map((field) => `${model.name}.${field.name}`),
    );
    expect(missing).toEqual([]);
  });

  it('has no column the client does not know (an unknown NOT NULL column would break inserts)', () => {
    const known = new Set(models.flatMap((model) => scalarFields(model).map((field) => `${tableOf(model)}.${columnOf(field)}`)));
    const tables = new Set(models.map(tableOf));
    const unknown = [...columns.keys()].filter((key) => tables.has(key.split('.')[0]!) && !known.has(key));
    expect(unknown).toEqual([]);
  });

  it('has the primary key, unique and plain indexes the schema declares, on the same columns', () => {
    const missing = dmmf.datamodel.indexes.flatMap((index) => {
      const model = models.find((m) => m.name === index.model)!;
      const table = tableOf(model);
      const cols = index.fields
        .map((f) => columnOf(model.fields.find((field) => field.name === f.name)!))
        .join(',');
      const found = indexes.find(
        (row) =>
          row.table_name === table &&
          row.columns === cols &&
          (index.type !== 'id' || row.is_primary) &&
          (index.type !== 'unique' || row.is_unique),
      );
      return found ? [] : [`${index.type} ${table}(${cols})`];
    });
    expect(missing).toEqual([]);
  });

  it('has a foreign key with the declared onDelete for every relation', () => {
    const relations = models.flatMap((model) =>
      model.fields
        .filter((field) => field.kind === 'object' && (field.relationFromFields?.length ?? 0) > 0)
        .map((field) => ({ model, field })),
    );
    expect(relations.length).toBeGreaterThan(0);
    const missing = relations.flatMap(({ model, field }) => {
      const target = models.find((m) => m.name === field.type)!;
      const cols = field.relationFromFields!.map((name) => columnOf(model.fields.find((f) => f.name === name)!)).join(',');
      const refCols = field.relationToFields!.map((name) => columnOf(target.fields.find((f) => f.name === name)!)).join(',');
      const onDelete = field.relationOnDelete ?? 'NoAction';
      const found = foreignKeys.find(
        (fk) =>
          fk.table_name === tableOf(model) &&
          fk.columns === cols &&
          fk.ref_table === tableOf(target) &&
          fk.ref_columns === refCols &&
          fk.on_delete === onDelete,
      );
      return found ? [] : [`${tableOf(model)}(${cols}) → ${tableOf(target)}(${refCols}) onDelete ${onDelete}`];
    });
    expect(missing).toEqual([]);
  });
});
