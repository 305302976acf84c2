// A CSS editor over CodeMirror 6: a thin React wrapper that owns one EditorView, reports each
// change of the text, shows the given problems as lint diagnostics at their line and column, and
// follows the app's light or dark colour scheme. Loaded lazily (CodeMirror is its own chunk).
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { css } from "@codemirror/lang-css";
import { bracketMatching, defaultHighlightStyle, indentOnInput, syntaxHighlighting } from "@codemirror/language";
import { lintGutter, setDiagnostics, type Diagnostic } from "@codemirror/lint";
import { Compartment, EditorState, type Text } from "@codemirror/state";
import { oneDark } from "@codemirror/theme-one-dark";
import {
  drawSelection,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  keymap,
  lineNumbers,
  placeholder as placeholderText,
} from "@codemirror/view";
import { useEffect, useRef } from "react";

/** A problem at a 1-based line and column (column in UTF-16 code units, as JavaScript counts). */
export type CssProblem = { message: string; line: number | null; column: number | null };

/**
 * The document range a problem points at: the word at its line and column, or the one
 * character there (empty at the end of a line). Lines and columns out of the document are
 * clamped to it; a problem without a line points at the start.
 */
export function problemRange(doc: Text, problem: CssProblem): { from: number; to: number } {
  if (problem.line === null) return { from: 0, to: Math.min(1, doc.length) };
  const line = doc.line(Math.min(Math.max(Math.trunc(problem.line), 1), doc.lines));
  const column = problem.column === null ? 1 : Math.trunc(problem.column);
  const from = line.from + Math.min(Math.max(column - 1, 0), line.length);
  let to = from;
  // Extend to the end of a CSS word (identifiers, at-rules, functions, numbers).
  const rest = line.text.slice(from - line.from);
  const word = /^[@-]?[\w-]+/.exec(rest);
  if (word) to = from + word[0].length;
  else if (from < line.to) to = from + 1;
  return { from, to };
}

const theme = EditorView.theme({
  "&": { fontSize: "13px", border: "1px solid var(--mantine-color-default-border)", borderRadius: "var(--mantine-radius-sm)" },
  "&.cm-focused": { outline: "2px solid var(--mantine-primary-color-filled)", outlineOffset: "-1px" },
  ".cm-scroller": { fontFamily: "var(--mantine-font-family-monospace)", minHeight: "180px", maxHeight: "360px" },
  ".cm-content": { minHeight: "180px" },
});

type Props = {
  value: string;
  onChange: (value: string) => void;
  problems: CssProblem[];
  dark: boolean;
  label: string;
  placeholder?: string;
  testId?: string;
};

export default function CssEditor({ value, onChange, problems, dark, label, placeholder, testId }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const scheme = useRef(new Compartment());
  const onChangeRef = useRef(onChange);
  // The first values, for the view created once; later ones arrive through the effects below.
  const initial = useRef({ value, dark, label, placeholder });

  // The latest onChange, for the editor's listener (first of the effects, so it is current when
  // the ones below change the text).
  useEffect(() => {
    onChangeRef.current = onChange;
  });

  useEffect(() => {
    if (!host.current) return;
    const first = initial.current;
    const editor = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: first.value,
        extensions: [
          lineNumbers(),
          highlightActiveLineGutter(),
          history(),
          drawSelection(),
          indentOnInput(),
          bracketMatching(),
          highlightActiveLine(),
          syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
          keymap.of([...defaultKeymap, ...historyKeymap]),
          css(),
          lintGutter(),
          EditorView.lineWrapping,
          theme,
          scheme.current.of(first.dark ? oneDark : []),
          placeholderText(first.placeholder ?? ""),
          EditorView.contentAttributes.of({ "aria-label": first.label }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) onChangeRef.current(update.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = editor;
    return () => {
      editor.destroy();
      view.current = null;
    };
  }, []);

  // A value set from outside (a discard, a reload) replaces the text; the editor's own changes
  // come back equal and change nothing.
  useEffect(() => {
    const editor = view.current;
    if (!editor) return;
    const current = editor.state.doc.toString();
    if (current !== value) {
      editor.dispatch({ changes: { from: 0, to: current.length, insert: value } });
    }
  }, [value]);

  useEffect(() => {
    view.current?.dispatch({ effects: scheme.current.reconfigure(dark ? oneDark : []) });
  }, [dark]);

  useEffect(() => {
    const editor = view.current;
    if (!editor) return;
    const diagnostics: Diagnostic[] = problems.map((p) => ({
      ...problemRange(editor.state.doc, p),
      severity: "error",
      message: p.message,
      source: "Custom CSS rules",
    }));
    editor.dispatch(setDiagnostics(editor.state, diagnostics));
    // Only when the problems change: CodeMirror maps the shown ones through the user's edits.
  }, [problems]);

  return <div ref={host} data-testid={testId} />;
}
