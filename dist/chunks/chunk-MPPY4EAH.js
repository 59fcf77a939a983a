import { createRequire as __gitmlRequire } from "node:module"; const require = __gitmlRequire(import.meta.url);
import{a as e}from"./chunk-2UD2O7DP.js";var s={debug(){},info(){},warning(){},error(){}};function g(o={}){return{debug:e(r=>{o.verbose&&process.stderr.write(`debug: ${r}
`)},"debug"),info:e(r=>process.stderr.write(`${r}
`),"info"),warning:e(r=>process.stderr.write(`warning: ${r}
`),"warning"),error:e(r=>process.stderr.write(`error: ${r}
`),"error")}}e(g,"stderrLogger");export{s as a,g as b};
