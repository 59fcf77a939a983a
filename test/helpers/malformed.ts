import { customersCsv } from "./data";

/**
 * The malformed data files a new user meets (issue #13), each built from `customersCsv` (columns age,
 * income, plan), with the error each must give: its file name, line and what is wrong.
 */
export function malformedCustomerFiles(): Array<{ name: string; content: string | Buffer; error: RegExp }> {
  const good = customersCsv(200, 2).split("\n");
  const short = [...good];
  short[101] = "30.5,1200.00";
  const latin1 = Buffer.from(customersCsv(20, 2));
  latin1[latin1.indexOf("basic") + 1] = 0xe9;
  return [
    {
      name: "short.csv",
      content: short.join("\n"),
      error: /short\.csv:102: this row has 2 values but the header has 3 columns/,
    },
    { name: "cut.csv", content: `${good.join("\n")}41.5,1`, error: /cut\.csv:202: this row has 2 values/ },
    {
      name: "header.csv",
      content: "age,income,plan\n",
      error: /header\.csv:1: the file has a header but no data rows/,
    },
    { name: "empty.csv", content: "", error: /empty\.csv: the file is empty/ },
    {
      name: "quote.csv",
      content: `${good.slice(0, 50).join("\n")}\n30.1,1000.5,"pro\n${good.slice(50).join("\n")}`,
      error: /quote\.csv:51: a quoted value opened on line 51 is never closed/,
    },
    { name: "latin1.csv", content: latin1, error: /latin1\.csv:\d+: byte \d+ \(0xe9\) is not UTF-8 text/ },
  ];
}
