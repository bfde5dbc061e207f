import * as Y from 'yjs';

/**
 * Changes `live` so its content equals `target`'s, as ordinary Yjs operations (the caller runs this inside a
 * transaction, so every client receives it as one change). Map roots (the board's `records` and `meta`) are restored
 * entry by entry: entries that differ are replaced by a copy of the target's, entries the target lacks are deleted,
 * and equal ones are left alone, so a restore touches only what differs. Array roots are replaced whole, text roots by
 * their plain text.
 */
export function restoreContent(live: Y.Doc, target: Y.Doc): void {
  const names = new Set([...live.share.keys(), ...target.share.keys()]);
  for (const name of names) {
    const kind = rootKind(target, name) ?? rootKind(live, name);
    if (kind === 'map') restoreMap(live.getMap(name), target.getMap(name));
    else if (kind === 'array') {
      const liveArray = live.getArray(name);
      liveArray.delete(0, liveArray.length);
      liveArray.insert(0, target.getArray(name).toArray().map(copyValue));
    } else if (kind === 'text') {
      const liveText = live.getText(name);
      liveText.delete(0, liveText.length);
      liveText.insert(0, target.getText(name).toString());
    }
  }
}

/** What a root type holds, read from its content (a document decoded from an update does not know its root types). */
function rootKind(doc: Y.Doc, name: string): 'map' | 'array' | 'text' | null {
  const type = doc.share.get(name);
  if (!type) return null;
  if (type instanceof Y.Map) return 'map';
  if (type instanceof Y.Array) return 'array';
  if (type instanceof Y.Text) return 'text';
  if (type._map.size > 0) return 'map';
  for (let item = type._start; item !== null; item = item.right) {
    if (item.deleted) continue;
    return item.content instanceof Y.ContentString || item.content instanceof Y.ContentFormat ? 'text' : 'array';
  }
  return null;
}

function restoreMap(live: Y.Map<unknown>, target: Y.Map<unknown>): void {
  for (const key of [...live.keys()]) if (!target.has(key)) live.delete(key);
  for (const [key, value] of target.entries()) {
    if (!live.has(key) || !sameJson(live.get(key), value)) live.set(key, copyValue(value));
  }
}

/** A value ready to insert: Yjs types are deep-copied (a type can live in one document only). */
function copyValue(value: unknown): unknown {
  return value instanceof Y.AbstractType ? value.clone() : value;
}

function sameJson(a: unknown, b: unknown): boolean {
  const json = (v: unknown) => JSON.stringify(v instanceof Y.AbstractType ? v.toJSON() : v);
  return json(a) === json(b);
}
