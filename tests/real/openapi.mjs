// Checks recorded API answers against docs/openapi.json with Ajv (JSON Schema
// 2020-12, the dialect of OpenAPI 3.1). A record is one line the server wrote
// under HERALD_TEST_RECORD_RESPONSES: {method, route, path, status,
// content_type, body}; `route` is the path template the server matched.
import fs from 'node:fs'
import path from 'node:path'
import { SOURCE_DIR, requireModule } from './harness.mjs'

const Ajv2020 = requireModule('ajv/dist/2020.js').default
const addFormats = requireModule('ajv-formats').default

export const DOCUMENT_PATH = path.join(SOURCE_DIR, 'docs/openapi.json')
const ID = 'https://herald.invalid/openapi.json'

const pointer = (...parts) => '#/' + parts.map((p) => encodeURIComponent(String(p).replace(/~/g, '~0').replace(/\//g, '~1'))).join('/')

export class OpenApiChecker {
  constructor(document = JSON.parse(fs.readFileSync(DOCUMENT_PATH, 'utf8'))) {
    this.document = document
    // strict: false because the document has OpenAPI members around its schemas.
    this.ajv = new Ajv2020({ strict: false, allErrors: true })
    addFormats(this.ajv)
    this.ajv.addSchema({ ...document, $id: ID })
    this.seen = new Map()  // "GET /v1/posts" → statuses answered
  }

  // The response object for a status, after a $ref to components/responses.
  response(operation, status) {
    const key = operation.responses[String(status)] ? String(status) : (operation.responses.default ? 'default' : null)
    if (!key) return {}
    let r = operation.responses[key]
    const ref = r.$ref
    if (ref) r = this.document.components.responses[ref.split('/').pop()]
    return { key, response: r, ref }
  }

  // Problems with one record, as strings; [] when it matches the document.
  check(record) {
    if (record.route === 'unmatched') return []  // a 404/405 for a path the API does not have
    const method = record.method.toLowerCase()
    const item = this.document.paths[record.route]
    if (!item) return [`${record.method} ${record.path}: route ${record.route} is not in docs/openapi.json`]
    const operation = item[method === 'head' ? 'get' : method]
    if (!operation) {
      // A method the path does not take: 405 with a problem, which OpenAPI has no place for.
      if (record.status !== 405) return [`${record.method} ${record.route} is not in docs/openapi.json`]
      const validate = this.ajv.getSchema(ID + pointer('components', 'schemas', 'Problem'))
      return validate(JSON.parse(record.body)) ? [] : [`${record.method} ${record.path}: the 405 is not a problem document`]
    }
    const opKey = `${record.method} ${record.route}`
    if (!this.seen.has(opKey)) this.seen.set(opKey, new Set())
    this.seen.get(opKey).add(record.status)
    const { key, response } = this.response(operation, record.status)
    if (!key) return [`${opKey} answered ${record.status}, which docs/openapi.json does not list`]
    const where = `${opKey} → ${record.status} (${record.path})`
    if (!response.content) {
      return record.body === '' ? [] : [`${where}: the document says no body, but one was sent`]
    }
    const type = record.content_type.split(';')[0].trim()
    const media = response.content[type]
    if (!media) return [`${where}: content type ${type} is not one of ${Object.keys(response.content).join(', ')}`]
    if (!type.endsWith('json')) return []
    let body
    try { body = JSON.parse(record.body) } catch (e) { return [`${where}: the body is not JSON: ${e.message}`] }
    const at = operation.responses[key].$ref
      ? pointer('components', 'responses', operation.responses[key].$ref.split('/').pop(), 'content', type, 'schema')
      : pointer('paths', record.route, method, 'responses', key, 'content', type, 'schema')
    const validate = this.ajv.getSchema(ID + at)
    if (!validate) return [`${where}: no schema at ${at}`]
    if (validate(body)) return []
    return validate.errors.slice(0, 5).map((e) => `${where}: ${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`)
  }

  // Problems with `value` as an instance of components/schemas/`name`.
  checkSchema(name, value, where) {
    const validate = this.ajv.getSchema(ID + pointer('components', 'schemas', name))
    if (validate(value)) return []
    return validate.errors.slice(0, 5).map((e) => `${where}: ${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`)
  }

  // Every record in the .jsonl files of `folder`: {records, problems}.
  checkFolder(folder) {
    let records = 0
    const problems = []
    for (const name of fs.readdirSync(folder).filter((n) => n.endsWith('.jsonl')).sort()) {
      const lines = fs.readFileSync(path.join(folder, name), 'utf8').split('\n')
      // A complete line ends in a newline; what follows the last one was cut
      // by a test that killed the daemon mid-write, and is not an answer.
      lines.pop()
      for (const line of lines) {
        let record
        try { record = JSON.parse(line) } catch { problems.push(`${name}: a line that is not JSON`); continue }
        records++
        problems.push(...this.check(record))
      }
    }
    return { records, problems }
  }

  // Operations in the document no record exercised.
  unexercised() {
    const out = []
    for (const [route, item] of Object.entries(this.document.paths)) {
      for (const method of Object.keys(item)) {
        const key = `${method.toUpperCase()} ${route}`
        if (!this.seen.has(key)) out.push(key)
      }
    }
    return out
  }
}
