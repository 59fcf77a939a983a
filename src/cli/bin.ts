#!/usr/bin/env node
import { main } from "./index";

// exitCode rather than process.exit(): a large --json output piped to another program must not be cut off.
main(process.argv).then((code) => {
  process.exitCode = code;
});
