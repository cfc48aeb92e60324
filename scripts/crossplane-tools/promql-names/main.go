// Command promql-names parses PromQL expressions with Prometheus' own parser
// and reports the metric names each one selects, so the dashboards test can
// check its own reading of the queries against the real grammar.
//
// Input on stdin: a JSON array of expressions (Grafana variables already
// replaced by the caller). Output on stdout: a JSON array of the same length,
// each {"names": [...]} sorted, or {"error": "..."} when the parser refuses it.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

type result struct {
	Names []string `json:"names,omitempty"`
	Error string   `json:"error,omitempty"`
}

func selectedNames(expression parser.Expr) []string {
	seen := map[string]bool{}
	parser.Inspect(expression, func(node parser.Node, _ []parser.Node) error {
		selector, ok := node.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		if selector.Name != "" {
			seen[selector.Name] = true
			return nil
		}
		// {__name__="x"} names a metric without the usual prefix form.
		for _, matcher := range selector.LabelMatchers {
			if matcher.Name == labels.MetricName && matcher.Type == labels.MatchEqual {
				seen[matcher.Value] = true
			}
		}
		return nil
	})
	names := make([]string, 0, len(seen))
	for name := range seen {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func main() {
	var expressions []string
	if err := json.NewDecoder(os.Stdin).Decode(&expressions); err != nil {
		fmt.Fprintf(os.Stderr, "promql-names: cannot read a JSON array of expressions on stdin: %v\n", err)
		os.Exit(2)
	}
	results := make([]result, len(expressions))
	for i, text := range expressions {
		expression, err := parser.ParseExpr(text)
		if err != nil {
			results[i] = result{Error: err.Error()}
			continue
		}
		results[i] = result{Names: selectedNames(expression)}
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		fmt.Fprintf(os.Stderr, "promql-names: %v\n", err)
		os.Exit(1)
	}
}
