//go:build tools

// Package tools pins the Crossplane CLI (composition render, resource validate) this repository tests against.
package tools

import _ "github.com/crossplane/cli/v2/cmd/crossplane"
