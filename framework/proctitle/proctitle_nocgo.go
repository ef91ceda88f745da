//go:build !cgo

// Package proctitle sets the process title that ps and top show; this build has no cgo, so it does nothing.
package proctitle

// Set does nothing in a build without cgo.
func Set(string) {}
