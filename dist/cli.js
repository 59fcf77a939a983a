#!/usr/bin/env node
import { createRequire as __gitmlRequire } from "node:module"; const require = __gitmlRequire(import.meta.url);
import{c as i}from"./chunks/chunk-5BHRATAL.js";import"./chunks/chunk-2UD2O7DP.js";var o=new Set(["show","history","check-ref"]),s=process.argv.slice(2),n=s.find((c,e)=>!c.startsWith("-")&&!["-C","--cwd"].includes(s[e-1]??""));if(n&&o.has(n)&&!s.includes("--fetch")){let c=s.findIndex(t=>t==="-C"||t==="--cwd"),e=c>=0&&s[c+1]?s[c+1]:process.cwd();i(e)}var{main:r}=await import("./chunks/cli-WXLHZUW7.js");process.exitCode=await r(process.argv);
