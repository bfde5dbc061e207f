/** tldraw's serialized schema (`store.schema.serialize()`), version 2 layout. */
export interface SerializedSchemaV2 {
  schemaVersion: 2
  sequences: Record<string, number>
}

/**
 * How a document's schema relates to this client's:
 * - 'same': read and write freely;
 * - 'older': the document predates this client; migrate it on load, then write;
 * - 'newer': a newer client wrote it; this one cannot validate its records and must not write;
 * - 'unknown': not a schema this code understands (treated like 'newer': never write).
 */
export type SchemaRelation = 'same' | 'older' | 'newer' | 'unknown'

/**
 * Compares the document's schema with ours, sequence by sequence. Done here rather than with
 * StoreSchema.getMigrationsSince because that silently ignores sequences it does not know, and a
 * sequence we do not know (a shape type added in a later tldraw) is exactly the 'newer' case.
 */
export function compareSchemas(ours: SerializedSchemaV2, theirs: unknown): SchemaRelation {
  if (!isSchemaV2(theirs)) return 'unknown'
  let older = false
  for (const [sequence, version] of Object.entries(theirs.sequences)) {
    const ourVersion = ours.sequences[sequence]
    if (ourVersion === undefined || ourVersion < version) return 'newer'
    if (ourVersion > version) older = true
  }
  for (const sequence of Object.keys(ours.sequences)) {
    if (theirs.sequences[sequence] === undefined) older = true
  }
  return older ? 'older' : 'same'
}

function isSchemaV2(value: unknown): value is SerializedSchemaV2 {
  if (typeof value !== 'object' || value === null) return false
  const { schemaVersion, sequences } = value as Partial<SerializedSchemaV2>
  return (
    schemaVersion === 2 &&
    typeof sequences === 'object' &&
    sequences !== null &&
    Object.values(sequences).every((v) => typeof v === 'number')
  )
}
