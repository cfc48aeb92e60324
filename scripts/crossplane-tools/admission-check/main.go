// Command admission-check decides admission requests with the API server's own
// ValidatingAdmissionPolicy evaluator (k8s.io/apiserver), without a cluster, so
// the tests can check the CEL the Environment renders against a real peer
// instead of a re-implementation of CEL.
//
// stdin:  {"policies": [VAP...], "bindings": [VAPB...], "cases": [{"namespace",
//
//	"namespaceLabels"?, "resource", "operation"?, "object"}]}
//
// stdout: [{"allowed": bool, "denials": [{"policy", "binding", "message"}]}] (one per case)
//
// Compilation errors, and evaluation errors under failurePolicy Fail, are denials
// whose message starts with "error:", so a broken expression can never pass as allowed.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/plugin/cel"
	"k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	"k8s.io/apiserver/pkg/admission/plugin/webhook/predicates/rules"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/cel/environment"
)

type input struct {
	Policies []admissionv1.ValidatingAdmissionPolicy        `json:"policies"`
	Bindings []admissionv1.ValidatingAdmissionPolicyBinding `json:"bindings"`
	Cases    []struct {
		Namespace       string            `json:"namespace"`
		NamespaceLabels map[string]string `json:"namespaceLabels"`
		// The plural the request is for: a policy matches resources, and kind to
		// resource mapping needs discovery, which this tool does not have.
		Resource  string                 `json:"resource"`
		Operation admission.Operation    `json:"operation"`
		Object    map[string]interface{} `json:"object"`
	} `json:"cases"`
}

type denial struct {
	Policy  string `json:"policy"`
	Binding string `json:"binding"`
	Message string `json:"message"`
}

type verdict struct {
	Allowed bool     `json:"allowed"`
	Denials []denial `json:"denials"`
}

// compile mirrors compilePolicy in k8s.io/apiserver's validating plugin (unexported
// there): the same composition environment (variables compiled in order and
// evaluated lazily), the StoredExpressions mode the API server uses for stored
// policies, and validations and messageExpressions as separate condition sets.
func compile(p *admissionv1.ValidatingAdmissionPolicy) validating.Validator {
	env, err := cel.NewCompositionEnv(cel.VariablesTypeName, environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion()))
	if err != nil {
		panic(err)
	}
	compiler := cel.NewCompositedCompilerFromTemplate(env)
	vars := make([]cel.NamedExpressionAccessor, len(p.Spec.Variables))
	for i, v := range p.Spec.Variables {
		vars[i] = &validating.Variable{Name: v.Name, Expression: v.Expression}
	}
	withAuthz := cel.OptionalVariableDeclarations{HasParams: p.Spec.ParamKind != nil, HasAuthorizer: true}
	noAuthz := cel.OptionalVariableDeclarations{HasParams: p.Spec.ParamKind != nil}
	compiler.CompileAndStoreVariables(vars, withAuthz, environment.StoredExpressions)
	validations := make([]cel.ExpressionAccessor, len(p.Spec.Validations))
	messages := make([]cel.ExpressionAccessor, len(p.Spec.Validations))
	for i, v := range p.Spec.Validations {
		validations[i] = &validating.ValidationCondition{Expression: v.Expression, Message: v.Message, Reason: v.Reason}
		if v.MessageExpression != "" {
			messages[i] = &validating.MessageExpressionCondition{MessageExpression: v.MessageExpression}
		}
	}
	if len(p.Spec.MatchConditions) > 0 {
		// Not needed by our policies; refusing is safer than silently ignoring them.
		panic(fmt.Sprintf("policy %s: matchConditions are not supported by admission-check", p.Name))
	}
	return validating.NewValidator(
		compiler.CompileCondition(validations, withAuthz, environment.StoredExpressions),
		nil,
		compiler.CompileCondition(nil, withAuthz, environment.StoredExpressions),
		compiler.CompileCondition(messages, noAuthz, environment.StoredExpressions),
		p.Spec.FailurePolicy,
	)
}

// selects applies a label selector the way the API server does: nil selects everything.
func selects(s *metav1.LabelSelector, l map[string]string) bool {
	if s == nil {
		return true
	}
	sel, err := metav1.LabelSelectorAsSelector(s)
	if err != nil {
		panic(err)
	}
	return sel.Matches(labels.Set(l))
}

// matches is the part of the dispatcher that needs no informers: resource rules
// (the real rule matcher) and namespace/object selectors.
func matches(m *admissionv1.MatchResources, attr admission.Attributes, nsLabels, objLabels map[string]string) bool {
	if m == nil {
		return true
	}
	if !selects(m.NamespaceSelector, nsLabels) || !selects(m.ObjectSelector, objLabels) {
		return false
	}
	for _, r := range m.ExcludeResourceRules {
		if (&rules.Matcher{Rule: admissionv1.RuleWithOperations{Operations: r.Operations, Rule: r.Rule}, Attr: attr}).Matches() {
			return false
		}
	}
	if m.ResourceRules == nil {
		return true // a binding without rules takes the policy's
	}
	for _, r := range m.ResourceRules {
		if (&rules.Matcher{Rule: admissionv1.RuleWithOperations{Operations: r.Operations, Rule: r.Rule}, Attr: attr}).Matches() {
			return true
		}
	}
	return false
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fmt.Fprintln(os.Stderr, "admission-check: cannot read the input JSON:", err)
		os.Exit(2)
	}
	validators := make([]validating.Validator, len(in.Policies))
	for i := range in.Policies {
		validators[i] = compile(&in.Policies[i])
	}
	out := make([]verdict, 0, len(in.Cases))
	for _, c := range in.Cases {
		obj := &unstructured.Unstructured{Object: c.Object}
		gvk := obj.GroupVersionKind()
		gvr := schema.GroupVersionResource{Group: gvk.Group, Version: gvk.Version, Resource: c.Resource}
		op := c.Operation
		if op == "" {
			op = admission.Create
		}
		attr := admission.NewAttributesRecord(obj, nil, gvk, c.Namespace, obj.GetName(), gvr, "", op, nil, false, &user.DefaultInfo{Name: "admission-check"})
		// The API server labels every namespace with its name; selectors rely on it.
		nsLabels := map[string]string{corev1.LabelMetadataName: c.Namespace}
		for k, v := range c.NamespaceLabels {
			nsLabels[k] = v
		}
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: c.Namespace, Labels: nsLabels}}
		v := verdict{Allowed: true, Denials: []denial{}}
		for i := range in.Policies {
			p := &in.Policies[i]
			if !matches(p.Spec.MatchConstraints, attr, nsLabels, obj.GetLabels()) {
				continue
			}
			for _, b := range in.Bindings {
				if b.Spec.PolicyName != p.Name || !matches(b.Spec.MatchResources, attr, nsLabels, obj.GetLabels()) {
					continue
				}
				deny := false
				for _, a := range b.Spec.ValidationActions {
					deny = deny || a == admissionv1.Deny
				}
				res := validators[i].Validate(context.Background(), gvr, &admission.VersionedAttributes{Attributes: attr, VersionedObject: obj, VersionedKind: gvk}, nil, ns, celconfig.RuntimeCELCostBudget, nil)
				for _, d := range res.Decisions {
					if d.Action != validating.ActionDeny || !deny {
						continue
					}
					msg := d.Message
					if d.Evaluation == validating.EvalError {
						msg = "error: " + msg
					}
					v.Allowed = false
					v.Denials = append(v.Denials, denial{Policy: p.Name, Binding: b.Name, Message: msg})
				}
			}
		}
		out = append(out, v)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "admission-check:", err)
		os.Exit(1)
	}
}
