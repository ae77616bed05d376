// Render a chat template with @huggingface/jinja, the JavaScript Jinja LM Studio uses.
//
//   node tests/jinja_render.mjs <path to the @huggingface/jinja package folder> < request.json
//
// request.json: {"template": "...", "bos_token": "...", "eos_token": "...",
//                "cases": [{"messages": [...], "add_generation_prompt": true}, ...]}
// Prints a JSON list with one rendered string per case.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const packageDir = process.argv[2];
const { Template } = await import(pathToFileURL(join(packageDir, "dist", "index.js")).href);
const request = JSON.parse(readFileSync(0, "utf8"));
const template = new Template(request.template);
const rendered = request.cases.map((c) =>
  template.render({
    messages: c.messages,
    add_generation_prompt: c.add_generation_prompt,
    bos_token: request.bos_token,
    eos_token: request.eos_token,
  }),
);
process.stdout.write(JSON.stringify(rendered));
