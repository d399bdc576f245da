"""`smallcoder lsp`: a language server offering FIM completions (LSP 3.18 inline completion, with a
textDocument/completion fallback). Sits at the top with cli/ (it opens a model, like a command);
needs the `lsp` extra (pygls)."""
