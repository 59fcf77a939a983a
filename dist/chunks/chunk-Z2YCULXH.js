import { createRequire as __gitmlRequire } from "node:module"; const require = __gitmlRequire(import.meta.url);
import{c as o,g as r}from"./chunk-3ZYC3V4B.js";import{a as n}from"./chunk-2UD2O7DP.js";async function g(a,p){let e=await r(a),t;return await o(e.repo,{plan:n(i=>(t=p(i,e),[t]),"plan")}),{tag:t.tag,commit:t.commit,pushed:e.repo.remote!==void 0}}n(g,"publishOneTag");export{g as a};
