/**
 * The DMMF (Prisma's data model with nullability, lists, native types, indexes, relations) of the generated
 * client. Prisma 7's `prisma-client` generator no longer exports `Prisma.dmmf`, and its runtime data model keeps
 * only names and types. So: take the schema the client was generated from (`_engineConfig.inlineSchema`) and
 * ask `get_dmmf` of the schema wasm that ships in the `prisma` package (what `@prisma/internals` getDMMF calls).
 * The wasm-bindgen glue below is the minimal part needed for that one call.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { PrismaClient } from '../../src/generated/prisma/client.ts';

export interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: 'scalar' | 'object' | 'enum' | 'unsupported';
  isList: boolean;
  isRequired: boolean;
  isId: boolean;
  isUnique: boolean;
  hasDefaultValue: boolean;
  default?: unknown;
  type: string;
  nativeType?: [string, string[]] | null;
  relationName?: string;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
}

export interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
}

export interface DmmfIndex {
  model: string;
  type: 'id' | 'unique' | 'normal' | 'fulltext';
  dbName?: string | null;
  fields: Array<{ name: string }>;
}

export interface Dmmf {
  datamodel: { models: DmmfModel[]; indexes: DmmfIndex[] };
}

interface SchemaWasm {
  memory: WebAssembly.Memory;
  get_dmmf(ptr: number, len: number): [number, number, number, number];
  __wbindgen_malloc(size: number, align: number): number;
  __wbindgen_free(ptr: number, size: number, align: number): void;
  __wbindgen_externrefs: WebAssembly.Table;
  __externref_table_dealloc(index: number): void;
  __wbindgen_start(): void;
}

let wasm: SchemaWasm | undefined;

function loadSchemaWasm(): SchemaWasm {
  if (wasm) return wasm;
  const prismaBuild = path.join(path.dirname(createRequire(import.meta.url).resolve('prisma/package.json')), 'build');
  const module = new WebAssembly.Module(readFileSync(path.join(prismaBuild, 'prisma_schema_build_bg.wasm')));
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const text = (ptr: number, len: number) =>
    decoder.decode(new Uint8Array(instance().memory.buffer).subarray(ptr >>> 0, (ptr >>> 0) + len));
  const instance = () => wasm!;
  const imports: Record<string, (...args: number[]) => unknown> = {};
  for (const { name } of WebAssembly.Module.imports(module)) {
    if (name.startsWith('__wbg_Error_')) imports[name] = (ptr, len) => new Error(text(ptr!, len!));
    else if (name.includes('throw')) {
      imports[name] = (ptr, len) => {
        throw new Error(text(ptr!, len!));
      };
    } else if (name.startsWith('__wbg_set_message_')) imports[name] = () => undefined;
    else if (name === '__wbindgen_init_externref_table') {
      imports[name] = () => {
        const table = instance().__wbindgen_externrefs;
        const base = table.grow(4);
        table.set(0, undefined);
        table.set(base, undefined);
        table.set(base + 1, null);
        table.set(base + 2, true);
        table.set(base + 3, false);
      };
    } else {
      imports[name] = () => {
        throw new Error(`prisma schema wasm: unexpected import ${name}`);
      };
    }
  }
  wasm = new WebAssembly.Instance(module, { __wbindgen_placeholder__: imports }).exports as unknown as SchemaWasm;
  wasm.__wbindgen_start();
  return wasm;
}

/** DMMF of a Prisma schema text, from Prisma's own schema wasm. */
export function getDmmf(schema: string): Dmmf {
  const w = loadSchemaWasm();
  const input = new TextEncoder().encode(JSON.stringify({ prismaSchema: schema, noColor: true }));
  const ptr = w.__wbindgen_malloc(input.length, 1) >>> 0;
  new Uint8Array(w.memory.buffer).set(input, ptr);
  const [outPtr, outLen, errIndex, failed] = w.get_dmmf(ptr, input.length);
  if (failed) {
    const error = w.__wbindgen_externrefs.get(errIndex) as Error;
    w.__externref_table_dealloc(errIndex);
    throw error;
  }
  try {
    const json = new TextDecoder().decode(new Uint8Array(w.memory.buffer).subarray(outPtr >>> 0, (outPtr >>> 0) + outLen));
    return JSON.parse(json) as Dmmf;
  } finally {
    w.__wbindgen_free(outPtr, outLen, 1);
  }
}

interface ClientInternals {
  _engineConfig: { inlineSchema: string };
  _runtimeDataModel: { models: Record<string, { fields: Array<{ name: string }> }> };
}

/** The DMMF of the schema `client` was generated from, checked against the client's runtime data model. */
export function generatedClientDmmf(client: PrismaClient): Dmmf {
  const internals = client as unknown as ClientInternals;
  const schema = internals._engineConfig.inlineSchema;
  if (typeof schema !== 'string') throw new Error('this Prisma version keeps the schema elsewhere: update prisma-dmmf.ts');
  const dmmf = getDmmf(schema);
  const runtime = internals._runtimeDataModel.models;
  const fromDmmf = dmmf.datamodel.models.map((model) => `${model.name}(${model.fields.map((f) => f.name).join(',')})`);
  const fromRuntime = Object.entries(runtime).map(([name, model]) => `${name}(${model.fields.map((f) => f.name).join(',')})`);
  if (fromDmmf.join(' ') !== fromRuntime.join(' ')) {
    throw new Error(`DMMF and the client's runtime data model differ:\n${fromDmmf.join(' ')}\n${fromRuntime.join(' ')}`);
  }
  return dmmf;
}
