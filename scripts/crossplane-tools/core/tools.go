//go:build tools

// Package tools pins the Crossplane core (the XR reconciler behind `internal render`) this repository tests against.
package tools

import _ "github.com/crossplane/crossplane/v2/cmd/crossplane"
