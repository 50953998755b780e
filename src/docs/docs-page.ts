/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access --
   This page walks the generated OpenAPI document, an untyped JSON tree, whatever shape a route declares. */
type JsonObject = Record<string, any>;

const METHOD_ORDER = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'];

function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A compact one-line type for a parameter table: `string (pattern …)`, `integer 1–500, default 50`. */
function typeSummary(schema: JsonObject | undefined): string {
  if (!schema) return '';
  if (typeof schema.$ref === 'string') return schema.$ref.replace('#/components/schemas/', '');
  if (Array.isArray(schema.anyOf)) return schema.anyOf.map(typeSummary).join(' | ');
  const parts: string[] = [];
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : schema.type;
  if (Array.isArray(schema.enum)) parts.push(schema.enum.map((v: unknown) => JSON.stringify(v)).join(' | '));
  else if (schema.const !== undefined) parts.push(JSON.stringify(schema.const));
  else parts.push(schema.format ? `${type} (${schema.format})` : String(type ?? 'any'));
  if (schema.minimum !== undefined || schema.maximum !== undefined) parts.push(`${schema.minimum ?? ''}–${schema.maximum ?? ''}`);
  if (schema.maxLength !== undefined) parts.push(`max ${schema.maxLength} chars`);
  if (schema.pattern !== undefined && !schema.format) parts.push(`pattern ${schema.pattern}`);
  if (schema.default !== undefined) parts.push(`default ${JSON.stringify(schema.default)}`);
  return parts.join(', ');
}

/** JSON of a schema, its `$ref`s linked to the named schemas at the end of the page. */
function schemaJson(schema: unknown): string {
  return escapeHtml(JSON.stringify(schema, null, 2)).replace(
    /#\/components\/schemas\/([A-Za-z0-9_.-]+)/g,
    (_match, name: string) => `<a href="#schema-${name}">#/components/schemas/${name}</a>`,
  );
}

function schemaBlock(label: string, schema: unknown): string {
  const ref = (schema as JsonObject | undefined)?.$ref as string | undefined;
  const name = ref?.startsWith('#/components/schemas/') ? ref.slice('#/components/schemas/'.length) : undefined;
  if (name) return `<p class="ex">${escapeHtml(label)}: <a href="#schema-${escapeHtml(name)}">${escapeHtml(name)}</a></p>`;
  return `<details><summary>${escapeHtml(label)}</summary><pre>${schemaJson(schema)}</pre></details>`;
}

/** The first example a media type gives: its own `example`, an `examples` entry, or the schema's `examples`. */
function exampleOf(media: JsonObject): unknown {
  if (media.example !== undefined) return media.example;
  const named = media.examples ? Object.values(media.examples as JsonObject)[0] : undefined;
  if (named && typeof named === 'object' && 'value' in named) return (named as JsonObject).value;
  return Array.isArray(media.schema?.examples) ? media.schema.examples[0] : undefined;
}

function mediaBlocks(label: string, content: JsonObject | undefined): string {
  return Object.entries(content ?? {})
    .map(([type, media]) => {
      const example = exampleOf(media as JsonObject);
      return (
        (example !== undefined
          ? `<p class="ex">Example (${escapeHtml(type)})</p><pre>${escapeHtml(typeof example === 'string' ? example : JSON.stringify(example, null, 2))}</pre>`
          : '') + schemaBlock(`${label} schema (${type})`, (media as JsonObject).schema)
      );
    })
    .join('');
}

/** An anchor per operation: the generated document carries no operationId. */
function anchorOf(method: string, path: string): string {
  return `${method}-${path.replace(/[^A-Za-z0-9]+/g, '-')}`;
}

function operationHtml(path: string, method: string, operation: JsonObject): string {
  const parameters: JsonObject[] = operation.parameters ?? [];
  const security = (operation.security ?? []).flatMap((entry: JsonObject) => Object.keys(entry));
  const rows = parameters
    .map(
      (p) =>
        `<tr><td><code>${escapeHtml(p.name)}</code></td><td>${escapeHtml(p.in)}</td><td>${p.required ? 'yes' : ''}</td>` +
        `<td>${escapeHtml(typeSummary(p.schema))}</td><td>${escapeHtml(p.description ?? p.schema?.description ?? '')}</td></tr>`,
    )
    .join('');
  const body = operation.requestBody
    ? `<h4>Request body</h4>${mediaBlocks('Body', operation.requestBody.content as JsonObject)}`
    : '';
  const responses = Object.entries(operation.responses as JsonObject)
    .map(([status, response]) => {
      const headers = Object.entries(((response as JsonObject).headers ?? {}) as JsonObject)
        .map(([name, header]) => ` <code>${escapeHtml(name)}</code>: ${escapeHtml((header as JsonObject).description ?? '')}`)
        .join('');
      return `<li><b>${escapeHtml(status)}</b> ${escapeHtml((response as JsonObject).description)}${headers}${mediaBlocks('Response', (response as JsonObject).content as JsonObject)}</li>`;
    })
    .join('');
  const id = escapeHtml(anchorOf(method, path));
  return `<section class="op" id="${id}">
<h3><span class="m ${escapeHtml(method)}">${escapeHtml(method.toUpperCase())}</span> <code>${escapeHtml(path)}</code></h3>
<p>${escapeHtml(operation.summary ?? '')}</p>
${operation.description ? `<p class="desc">${escapeHtml(operation.description)}</p>` : ''}
${security.length > 0 ? `<p class="auth">Auth: ${security.map((s: string) => `<code>${escapeHtml(s)}</code>`).join(' or ')}</p>` : '<p class="auth">No auth</p>'}
${rows ? `<table><thead><tr><th>Parameter</th><th>In</th><th>Required</th><th>Type</th><th>Notes</th></tr></thead><tbody>${rows}</tbody></table>` : ''}
${body}
<h4>Responses</h4><ul class="responses">${responses}</ul>
</section>`;
}

/**
 * A self-contained, script-free page rendered from the OpenAPI document, so
 * /docs works offline and behind firewalls (no CDN-hosted viewer).
 */
export function renderDocsPage(document: JsonObject, jsonPath: string): string {
  const byTag = new Map<string, string[]>();
  const toc = new Map<string, string[]>();
  for (const [path, item] of Object.entries(document.paths as JsonObject)) {
    const methods = Object.keys(item as JsonObject).sort((a, b) => METHOD_ORDER.indexOf(a) - METHOD_ORDER.indexOf(b));
    for (const method of methods) {
      const operation = (item as JsonObject)[method] as JsonObject;
      const tag = (operation.tags?.[0] as string | undefined) ?? 'other';
      if (!byTag.has(tag)) {
        byTag.set(tag, []);
        toc.set(tag, []);
      }
      byTag.get(tag)!.push(operationHtml(path, method, operation));
      toc
        .get(tag)!
        .push(`<a href="#${escapeHtml(anchorOf(method, path))}">${escapeHtml(method.toUpperCase())} ${escapeHtml(path)}</a>`);
    }
  }
  const info = document.info as JsonObject;
  const tagNotes = new Map(
    ((document.tags ?? []) as JsonObject[]).map((tag) => [tag.name as string, (tag.description as string | undefined) ?? '']),
  );
  const schemes = Object.entries(((document.components as JsonObject | undefined)?.securitySchemes ?? {}) as JsonObject)
    .map(([name, scheme]) => {
      const where = scheme.type === 'apiKey' ? `${scheme.name} in ${scheme.in}` : `${scheme.type} ${scheme.scheme ?? ''}`;
      return `<tr><td><code>${escapeHtml(name)}</code></td><td>${escapeHtml(where)}</td><td>${escapeHtml(scheme.description ?? '')}</td></tr>`;
    })
    .join('');
  const named = Object.entries(((document.components as JsonObject | undefined)?.schemas ?? {}) as JsonObject)
    .map(([name, schema]) => {
      const example = Array.isArray(schema.examples) ? schema.examples[0] : undefined;
      return (
        `<section class="op" id="schema-${escapeHtml(name)}"><h3><code>${escapeHtml(name)}</code></h3>` +
        `${schema.description ? `<p class="desc">${escapeHtml(schema.description)}</p>` : ''}` +
        `${example !== undefined ? `<p class="ex">Example</p><pre>${escapeHtml(JSON.stringify(example, null, 2))}</pre>` : ''}` +
        `<details><summary>Schema</summary><pre>${schemaJson(schema)}</pre></details></section>`
      );
    })
    .join('\n');
  const servers = ((document.servers ?? []) as JsonObject[]).map((server) => `<code>${escapeHtml(server.url)}</code>`).join(', ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(info.title)} API</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;display:flex}
nav{width:300px;flex:none;height:100vh;overflow:auto;position:sticky;top:0;background:#f4f5f8;padding:12px;box-sizing:border-box}
nav h4{margin:12px 0 4px;text-transform:uppercase;font-size:12px;color:#667}
nav a{display:block;color:#1d2330;text-decoration:none;font-family:ui-monospace,monospace;font-size:12px;padding:1px 0}
main{padding:16px 28px;max-width:1000px;flex:1}
.op{border:1px solid #dde;border-radius:6px;padding:4px 14px;margin:12px 0}
.m{display:inline-block;min-width:56px;text-align:center;color:#fff;border-radius:4px;padding:1px 6px;font-size:12px}
.m.get{background:#2f7dd1}.m.post{background:#2c9c5b}.m.put{background:#c98a1b}.m.delete{background:#c33}
table{border-collapse:collapse;width:100%;font-size:13px}td,th{border-bottom:1px solid #eee;text-align:left;padding:3px 6px;vertical-align:top}
pre{background:#f7f7f9;padding:8px;overflow:auto;font-size:12px}.auth,.desc{color:#445}h4{margin:10px 0 4px;font-size:13px}.ex{margin:4px 0 0;font-size:12px;color:#445}\na:focus,summary:focus{outline:2px solid #2f7dd1}
</style></head><body>
<nav aria-label="Operations"><b>${escapeHtml(info.title)}</b> ${escapeHtml(info.version)}<br><a href="${escapeHtml(jsonPath)}">openapi.json</a>
${[...toc].map(([tag, links]) => `<h4>${escapeHtml(tag)}</h4>${links.join('')}`).join('\n')}
${named ? '<h4>schemas</h4><a href="#schemas">Named schemas</a>' : ''}</nav>
<main><h1>${escapeHtml(info.title)} API</h1>${info.description ? `<p>${escapeHtml(info.description)}</p>` : ''}
<p>OpenAPI ${escapeHtml(document.openapi)} document, generated from the routes' own schemas: <a href="${escapeHtml(jsonPath)}"><code>${escapeHtml(jsonPath)}</code></a>${servers ? ` · server ${servers}` : ''}</p>
${schemes ? `<h2 id="auth">Authentication</h2><table><thead><tr><th>Scheme</th><th>How</th><th>Notes</th></tr></thead><tbody>${schemes}</tbody></table>` : ''}
${[...byTag].map(([tag, ops]) => `<h2 id="tag-${escapeHtml(tag)}">${escapeHtml(tag)}</h2>${tagNotes.get(tag) ? `<p class="desc">${escapeHtml(tagNotes.get(tag))}</p>` : ''}${ops.join('\n')}`).join('\n')}
${named ? `<h2 id="schemas">Schemas</h2>${named}` : ''}
</main></body></html>`;
}
