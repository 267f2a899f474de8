// Package report writes the study's report: one document rendered both as
// Markdown and as a self-contained HTML page (figures embedded as base64
// PNG data URIs, no external CSS or JavaScript), with every table also
// written as Markdown and CSV.
//
// Output is deterministic: the same Document gives byte-identical files,
// so that reports of runs with the same flags can be compared with cmp.
// Every file is written atomically (temporary file in the same directory,
// fsync, rename), so a killed run never leaves a half-written report.
package report
