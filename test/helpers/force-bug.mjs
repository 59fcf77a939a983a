/**
 * Preloaded with `node --import` (NODE_OPTIONS) to force a bug inside gitml, as a crash in its own code
 * would be: reading a file whose path matches GITML_TEST_BUG_PATH throws a TypeError (no system code),
 * which gitml must report as an internal error with its own exit code.
 */
import * as fs from "node:fs";
import { createRequire, syncBuiltinESMExports } from "node:module";

const require = createRequire(import.meta.url);
const pattern = new RegExp(process.env.GITML_TEST_BUG_PATH ?? "(?!)");
const fsPromises = require("node:fs/promises");
const readFile = fsPromises.readFile;
fsPromises.readFile = function patchedReadFile(file, ...rest) {
  if (pattern.test(String(file))) return Promise.reject(new TypeError(`forced bug while reading ${file}`));
  return readFile.call(this, file, ...rest);
};
const readFileSync = fs.readFileSync;
require("node:fs").readFileSync = function patchedReadFileSync(file, ...rest) {
  if (pattern.test(String(file))) throw new TypeError(`forced bug while reading ${file}`);
  return readFileSync.call(this, file, ...rest);
};
syncBuiltinESMExports();
