// Serialises documents with Decap CMS's own formatters (decap-cms-core/dist/esm/formats), as the editor saves them.
// The ES modules are Decap's files as shipped; only their import specifiers are pointed at files (Node needs
// extensions that the bundler-oriented build leaves out). Usage: node decap_format.mjs NODE_MODULES < docs.json
import { createRequire } from "node:module";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { tmpdir } from "node:os";
import { pathToFileURL } from "node:url";

const modules = resolve(process.argv[2]);
const esm = join(modules, "decap-cms-core", "dist", "esm");
const requireFromCore = createRequire(join(modules, "decap-cms-core", "package.json"));
const out = mkdtempSync(join(tmpdir(), "decap-formats-"));
const copied = new Set();

function fileOf(base) {
  return existsSync(base + ".js") ? base + ".js" : join(base, "index.js");
}

function copy(source) {
  if (copied.has(source)) return;
  copied.add(source);
  const text = readFileSync(source, "utf8").replace(/(from\s+|import\s+)'([^']+)'/g, (match, keyword, spec) => {
    if (!spec.startsWith(".")) return `${keyword}'${pathToFileURL(requireFromCore.resolve(spec))}'`;
    const target = fileOf(join(dirname(source), spec));
    copy(target);
    let path = relative(dirname(source), target).replace(/\.js$/, ".mjs");
    return `${keyword}'${path.startsWith(".") ? path : "./" + path}'`;
  });
  const target = join(out, relative(esm, source)).replace(/\.js$/, ".mjs");
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, text);
}

copy(join(esm, "formats", "formats.js"));
const { resolveFormat } = await import(pathToFileURL(join(out, "formats", "formats.mjs")));
const { Map } = await import(pathToFileURL(requireFromCore.resolve("immutable")));
const docs = JSON.parse(readFileSync(0, "utf8"));
const texts = docs.map(({ format, extension, data, sortedKeys }) => {
  const collection = Map({ format, extension });
  return resolveFormat(collection, { path: "x." + extension }).toFile(data, sortedKeys, {});
});
process.stdout.write(JSON.stringify(texts));
