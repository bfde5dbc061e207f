import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { test } from 'node:test'
import { createTLSchema } from '@tldraw/tlschema'
import { parseTldrawJsonFile } from 'tldraw'
import * as Y from 'yjs'
// The server's writer, by relative path: the test checks that what the server seeds is what the web app loads.
import { tldrToBoardUpdate } from '../../server/src/workspace/tldr-document.ts'
import { documentRecords, makeClient } from './helpers.ts'

const templatesDirectory = new URL('../../server/templates/', import.meta.url)
const templateFiles = readdirSync(templatesDirectory).filter((name) => name.endsWith('.tldr')).sort()

function readTemplate(name: string): string {
  return readFileSync(new URL(name, templatesDirectory), 'utf8')
}

test('the five templates are shipped', () => {
  assert.deepEqual(templateFiles, ['brainstorm.tldr', 'kanban.tldr', 'retrospective.tldr', 'user-flow.tldr', 'weekly-planning.tldr'])
})

test('each template, written by the server, loads into the web app whole: every record valid for tldraw', () => {
  for (const name of templateFiles) {
    const text = readTemplate(name)
    const file = JSON.parse(text)
    const doc = new Y.Doc()
    Y.applyUpdate(doc, tldrToBoardUpdate(text).update)

    const invalid: string[] = []
    const client = makeClient(doc, { seed: false, onInvalidRecord: (id, error) => invalid.push(`${id}: ${String(error)}`) })
    assert.deepEqual(invalid, [], name)
    assert.equal(client.binding.state.get().kind, 'ready', `${name}: written in this tldraw's schema, so no reload is asked for`)
    const loaded = documentRecords(client.store)
    assert.equal(loaded.length, file.records.length, `${name}: every record reached the store`)
    const byId = new Map(file.records.map((record: { id: string }) => [record.id, record]))
    for (const record of loaded) assert.deepEqual(record, byId.get(record.id), `${name}: ${record.id}`)
    // Seeding on top of a template changes nothing: it already has the seeded document and page ids.
    const before = Y.encodeStateVector(doc)
    makeClient(doc).binding.dispose()
    assert.deepEqual(Y.encodeStateVector(doc), before, `${name}: seeding wrote nothing`)
    client.binding.dispose()
  }
})

test("each template opens with tldraw's own .tldr parser", () => {
  // parseTldrawJsonFile checks the file's shape, migrates it and builds a validating store; it runs in Node.
  const schema = createTLSchema()
  for (const name of templateFiles) {
    const result = parseTldrawJsonFile({ schema, json: readTemplate(name) })
    assert.ok(result.ok, `${name}: ${result.ok ? '' : JSON.stringify(result.error)}`)
    const file = JSON.parse(readTemplate(name))
    const records = result.value.allRecords().filter((r) => schema.types[r.typeName].scope === 'document')
    assert.equal(records.length, file.records.length, name)
    const documentRecord = result.value.get('document:document' as never) as { name: string } | undefined
    assert.ok(documentRecord && documentRecord.name.length > 0, `${name} has a title`)
  }
})

test('the check above has teeth: a template record tldraw would refuse is reported and kept out of the store', () => {
  const file = JSON.parse(readTemplate('kanban.tldr'))
  const shape = file.records.find((record: { typeName: string }) => record.typeName === 'shape')
  shape.props.color = 'chartreuse'
  const doc = new Y.Doc()
  Y.applyUpdate(doc, tldrToBoardUpdate(JSON.stringify(file)).update)
  const invalid: string[] = []
  const client = makeClient(doc, { seed: false, onInvalidRecord: (id) => invalid.push(id) })
  assert.deepEqual(invalid, [shape.id])
  assert.equal(documentRecords(client.store).length, file.records.length - 1)
  client.binding.dispose()
})
