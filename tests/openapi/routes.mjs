// Every route a service serves is in its OpenAPI document, and every
// operation in the document is served: compares `<binary> --routes` with
// docs/api/<service>.yaml (path parameters compared by position, not name).
//   node routes.mjs <build dir> <service>...
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { parse } from "yaml";

const [build, ...services] = process.argv.slice(2);
const root = new URL("../..", import.meta.url).pathname;
const norm = (p) => p.replace(/\{[^}]+\}/g, "{}");
let failed = false;
for (const svc of services) {
  const served = new Set(
    execFileSync(`${build}/services/${svc}/shop-${svc}`, ["--routes"], { encoding: "utf8" })
      .trim().split("\n").map((l) => { const [m, p] = l.split(" "); return `${m} ${norm(p)}`; }));
  const doc = parse(readFileSync(`${root}/docs/api/${svc}.yaml`, "utf8"));
  const documented = new Set();
  for (const [path, item] of Object.entries(doc.paths ?? {}))
    for (const m of ["get", "post", "put", "delete", "patch"])
      if (item[m]) documented.add(`${m.toUpperCase()} ${norm(path)}`);
  const missingInDoc = [...served].filter((r) => !documented.has(r));
  const notServed = [...documented].filter((r) => !served.has(r));
  if (missingInDoc.length || notServed.length) {
    failed = true;
    console.log(`openapi routes: ${svc}: served but not documented: ${JSON.stringify(missingInDoc)}; documented but not served: ${JSON.stringify(notServed)}`);
  } else {
    console.log(`openapi routes: ${svc}: ${served.size} routes, document and server agree`);
  }
}
process.exit(failed ? 1 : 0);
