import { Text } from "@codemirror/state";
import { describe, expect, it } from "vitest";

import { problemRange } from "./CssEditor";

const doc = Text.of([".a { color: red; }", "  @import url(x.css);", "", "b { width: 10px }"]);
const range = (line: number | null, column: number | null) => {
  const { from, to } = problemRange(doc, { message: "m", line, column });
  return { from, to, text: doc.sliceString(from, to) };
};

describe("problemRange", () => {
  it("points at the word at a 1-based line and column", () => {
    expect(range(2, 3).text).toBe("@import");
    expect(range(2, 11).text).toBe("url");
    expect(range(4, 12).text).toBe("10px");
    expect(range(1, 1)).toEqual({ from: 0, to: 1, text: "." });
  });

  it("clamps a line or column outside the document to it", () => {
    expect(range(99, 1).from).toBe(doc.line(4).from);
    expect(range(0, 1).from).toBe(0);
    expect(range(1, 500)).toEqual({ from: doc.line(1).to, to: doc.line(1).to, text: "" });
    expect(range(1, -3).from).toBe(0);
    expect(range(3, 7)).toEqual({ from: doc.line(3).from, to: doc.line(3).from, text: "" });
  });

  it("points at the start without a line, and at the line's start without a column", () => {
    expect(range(null, null)).toEqual({ from: 0, to: 1, text: "." });
    expect(range(2, null)).toEqual({ from: doc.line(2).from, to: doc.line(2).from + 1, text: " " });
    expect(problemRange(Text.of([""]), { message: "m", line: null, column: null })).toEqual({ from: 0, to: 0 });
  });
});
