/** Maps a key path (`['workflows', 'two-dba', 'required']`) to its line in the parsed YAML document. */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter } from 'yaml';

export type KeyPath = readonly PropertyKey[];

/**
 * The 1-based line of the node at `path`; with `atKey`, the line of the last key itself (for unknown keys).
 * When the path leaves the document (a missing key), the line of the deepest node that exists.
 */
export function lineOf(doc: Document, lines: LineCounter, path: KeyPath, atKey = false): number {
  let node: unknown = doc.contents;
  let line = lineAt(node, lines) ?? 1;
  for (let i = 0; i < path.length; i++) {
    if (isAlias(node)) node = node.resolve(doc);
    const segment = path[i];
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) return line;
      const keyLine = lineAt(pair.key, lines) ?? line;
      if (atKey && i === path.length - 1) return keyLine;
      node = pair.value;
      line = lineAt(node, lines) ?? keyLine;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      if (node === undefined) return line;
      line = lineAt(node, lines) ?? line;
    } else {
      return line;
    }
  }
  return line;
}

function lineAt(node: unknown, lines: LineCounter): number | undefined {
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return range ? lines.linePos(range[0]).line : undefined;
}
