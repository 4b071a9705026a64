package rowexpr

import (
	"fmt"
	"reflect"
	"regexp"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
	"github.com/expr-lang/expr/vm/runtime"
)

// compileColumnar compiles the checked, optimised tree of prog — the tree
// its bytecode was generated from — into a columnar program: a tree of ops,
// with buffers of its own, that computes what the virtual machine would for
// every row of a batch at once. An expression with anything it does not
// implement is refused with the reason, and runs on the machine.
//
// Failures are reported with the machine's own messages — most are obtained
// by calling expr's runtime with the same operands — at the position of the
// node whose instruction the machine would fail at.
func compileColumnar(prog *vm.Program, schema *arrow.Schema, asBool bool) (_ op, _ kind, err error) {
	defer func() {
		// A tree shaped in a way the compiler does not expect runs on the
		// machine rather than failing.
		if r := recover(); r != nil {
			err = fmt.Errorf("the columnar compiler failed: %v", r)
		}
	}()
	c := &columnarCompiler{schema: schema, source: prog.Source()}
	root, k, err := c.compile(prog.Node())
	if err != nil {
		return nil, 0, err
	}
	if asBool {
		if k != kindBool {
			return nil, 0, fmt.Errorf("a condition of kind %s", k)
		}
		// The machine ends a condition with a cast that turns nil into false.
		root = &nilIsFalseOp{x: root}
	}
	return root, k, nil
}

type columnarCompiler struct {
	schema *arrow.Schema
	source file.Source
}

// unsupported is the reason a node cannot be compiled.
func unsupported(node ast.Node, format string, args ...any) error {
	return fmt.Errorf("%s: %s", node, fmt.Sprintf(format, args...))
}

// column returns the position of node as the machine reports it: the
// 0-based column of file.Error.
func (c *columnarCompiler) column(node ast.Node) int {
	e := &file.Error{Location: node.Location()}
	return e.Bind(c.source).Column
}

// strictness returns how the operation at node fails on nil operands, with
// messages from calling f with each combination of nil and non-nil samples
// of the operands' kinds. It fails if f does not panic on one of them: the
// operation would then not be strict as the ops assume.
func (c *columnarCompiler) strictness(node ast.Node, kinds []kind, f func(args []any)) (strictness, error) {
	s := strictness{column: c.column(node)}
	for m := 1; m < 1<<len(kinds); m++ {
		args := make([]any, len(kinds))
		for i, k := range kinds {
			args[i] = k.sample(m&(1<<i) != 0)
		}
		s.msgs[m] = panicText(func() { f(args) })
		if s.msgs[m] == "" {
			return s, unsupported(node, "does not fail on nil")
		}
	}
	return s, nil
}

// assertion asserts, as the machine does for the condition of a jump or the
// operands of `==` between ints or strings, that args[0] is of kind k: a nil
// panics with the machine's message. (strictness checks that it panics.)
func assertion(k kind) func([]any) {
	return func(args []any) {
		switch k {
		case kindBool:
			_ = args[0].(bool)
		case kindInt:
			_ = args[0].(int)
		case kindString:
			_ = args[0].(string)
		}
	}
}

func (c *columnarCompiler) compile(node ast.Node) (op, kind, error) {
	k, ok := kindOf(node)
	if b, isBinary := node.(*ast.BinaryNode); !ok && isBinary && node.Nature().Type == nil && alwaysBool[b.Operator] {
		// The optimiser writes `x in 1..5` as `x >= 1 and x <= 5` without
		// typing the comparisons; whatever their type, they produce bools.
		k, ok = kindBool, true
	}
	if !ok {
		return nil, 0, unsupported(node, "values of type %s", node.Type())
	}
	switch n := node.(type) {
	case *ast.NilNode:
		return &literalOp{kind: kindNil}, kindNil, nil
	case *ast.IntegerNode:
		switch k {
		case kindInt:
			return &literalOp{kind: k, value: n.Value}, k, nil
		case kindFloat:
			return &literalOp{kind: k, value: float64(n.Value)}, k, nil
		}
	case *ast.FloatNode:
		if k == kindFloat {
			return &literalOp{kind: k, value: n.Value}, k, nil
		}
	case *ast.StringNode:
		return &literalOp{kind: k, value: n.Value}, k, nil
	case *ast.BoolNode:
		return &literalOp{kind: k, value: n.Value}, k, nil
	case *ast.ConstantNode:
		switch n.Value.(type) {
		case int, float64, string, bool:
			return &literalOp{kind: k, value: n.Value}, k, nil
		}
	case *ast.IdentifierNode:
		return c.columnRef(node, n.Value, k)
	case *ast.MemberNode:
		// $env["name"], for the columns whose names are not identifiers.
		env, ok := n.Node.(*ast.IdentifierNode)
		name, isName := n.Property.(*ast.StringNode)
		if ok && env.Value == "$env" && isName && !n.Optional && !n.Method {
			return c.columnRef(node, name.Value, k)
		}
	case *ast.UnaryNode:
		return c.unary(n, k)
	case *ast.BinaryNode:
		return c.binary(n, k)
	case *ast.ConditionalNode:
		return c.conditional(n, k)
	case *ast.BuiltinNode:
		return c.builtin(n, k)
	}
	return nil, 0, unsupported(node, "%T is not implemented", node)
}

// alwaysBool are the binary operators whose result is a bool whatever their
// operands.
var alwaysBool = map[string]bool{
	"==": true, "!=": true, "<": true, ">": true, "<=": true, ">=": true,
	"in": true, "contains": true, "startsWith": true, "endsWith": true, "matches": true,
}

func (c *columnarCompiler) columnRef(node ast.Node, name string, k kind) (op, kind, error) {
	idx := c.schema.FieldIndices(name)
	if name == "$env" || len(idx) != 1 {
		return nil, 0, unsupported(node, "not a column of the input, or more than one")
	}
	return &columnOp{index: idx[0], kind: k}, k, nil
}

func (c *columnarCompiler) unary(n *ast.UnaryNode, k kind) (op, kind, error) {
	x, xk, err := c.compile(n.Node)
	if err != nil {
		return nil, 0, err
	}
	switch n.Operator {
	case "+":
		// The machine does nothing for unary plus.
		return x, xk, nil
	case "!", "not":
		if xk != kindBool || k != kindBool {
			break
		}
		s, err := c.strictness(n, []kind{xk}, assertion(kindBool))
		return &notOp{x: x, strict: s}, k, err
	case "-":
		if xk != k || k != kindInt && k != kindFloat {
			break
		}
		s, err := c.strictness(n, []kind{xk}, func(a []any) { runtime.Negate(a[0]) })
		return &negateOp{x: x, kind: k, strict: s}, k, err
	}
	return nil, 0, unsupported(n, "operand of kind %s", xk)
}

func (c *columnarCompiler) binary(n *ast.BinaryNode, k kind) (op, kind, error) {
	switch n.Operator {
	case "+":
		if k == kindString {
			return c.concat(n)
		}
	case "in":
		return c.in(n, k)
	case "matches":
		pattern, ok := n.Right.(*ast.StringNode)
		if !ok {
			return nil, 0, unsupported(n, "a pattern that is not a literal")
		}
		x, xk, err := c.compile(n.Left)
		if err != nil {
			return nil, 0, err
		}
		if xk != kindString && xk != kindNil {
			break
		}
		re, err := regexp.Compile(pattern.Value)
		if err != nil {
			return nil, 0, unsupported(n, "%v", err)
		}
		// The pattern is never evaluated; a literal stands in for it.
		return &stringTestOp{args: binaryArgs{left: x, right: &literalOp{kind: kindString}}, op: "matches", re: re}, kindBool, nil
	}
	l, lk, err := c.compile(n.Left)
	if err != nil {
		return nil, 0, err
	}
	r, rk, err := c.compile(n.Right)
	if err != nil {
		return nil, 0, err
	}
	numbers := isNumber(lk) && isNumber(rk)
	switch n.Operator {
	case "==", "!=":
		o := &equalOp{args: binaryArgs{left: l, right: r}, lk: lk, rk: rk, negate: n.Operator == "!="}
		// The machine's OpEqualInt and OpEqualString assert their operands.
		if lk == rk && (lk == kindInt || lk == kindString) {
			s, err := c.strictness(n, []kind{lk, rk}, func(a []any) {
				assertion(lk)(a[:1])
				assertion(rk)(a[1:])
			})
			if err != nil {
				return nil, 0, err
			}
			o.strict = &s
		}
		return o, kindBool, nil
	case "&&", "and", "||", "or":
		if lk != kindBool || rk != kindBool {
			break
		}
		s, err := c.strictness(n, []kind{lk}, assertion(kindBool))
		or := n.Operator == "||" || n.Operator == "or"
		return &logicOp{left: l, right: r, or: or, rightKind: rk, strict: s}, kindBool, err
	case "<", ">", "<=", ">=":
		var common kind
		switch {
		case numbers:
			common = promote(lk, rk)
		case lk == rk && (lk == kindString || lk == kindTime):
			common = lk
		default:
			return nil, 0, unsupported(n, "operands of kinds %s and %s", lk, rk)
		}
		compare := map[string]func(a, b any) bool{"<": runtime.Less, ">": runtime.More, "<=": runtime.LessOrEqual, ">=": runtime.MoreOrEqual}[n.Operator]
		s, err := c.strictness(n, []kind{lk, rk}, func(a []any) { compare(a[0], a[1]) })
		o := &orderOp{args: binaryArgs{left: toKind(l, lk, common), right: toKind(r, rk, common)}, kind: common, cmp: n.Operator, strict: s}
		return o, kindBool, err
	case "+", "-", "*", "/", "%", "**", "^":
		if !numbers {
			break
		}
		common := promote(lk, rk)
		var f func(a, b any)
		switch n.Operator {
		case "+":
			f = func(a, b any) { runtime.Add(a, b) }
		case "-":
			f = func(a, b any) { runtime.Subtract(a, b) }
		case "*":
			f = func(a, b any) { runtime.Multiply(a, b) }
		case "/":
			f, common = func(a, b any) { runtime.Divide(a, b) }, kindFloat
		case "%":
			if common != kindInt {
				return nil, 0, unsupported(n, "%% of floats")
			}
			f = func(a, b any) { runtime.Modulo(a, b) }
		default:
			f, common = func(a, b any) { runtime.Exponent(a, b) }, kindFloat
		}
		if k != common {
			return nil, 0, unsupported(n, "of kind %s", k)
		}
		s, err := c.strictness(n, []kind{lk, rk}, func(a []any) { f(a[0], a[1]) })
		o := &arithOp{args: binaryArgs{left: toKind(l, lk, common), right: toKind(r, rk, common)}, kind: common, op: n.Operator, strict: s}
		o.zero = panicText(func() { runtime.Modulo(1, 0) })
		return o, k, err
	case "??":
		if (lk != k && lk != kindNil) || (rk != k && rk != kindNil) {
			break
		}
		return &coalesceOp{left: l, right: r, kind: k, leftKind: lk, rightKind: rk}, k, nil
	case "contains", "startsWith", "endsWith":
		if (lk != kindString && lk != kindNil) || (rk != kindString && rk != kindNil) {
			break
		}
		return &stringTestOp{args: binaryArgs{left: l, right: r}, op: n.Operator}, kindBool, nil
	}
	return nil, 0, unsupported(n, "operands of kinds %s and %s", lk, rk)
}

func isNumber(k kind) bool { return k == kindInt || k == kindFloat }

// promote is the kind of an arithmetic operation on numbers of kinds a and
// b: int if both are, otherwise float.
func promote(a, b kind) kind {
	if a == kindInt && b == kindInt {
		return kindInt
	}
	return kindFloat
}

// toKind converts operand x, of kind from, to kind to: an int operand of a
// float operation. A literal is converted once, here.
func toKind(x op, from, to kind) op {
	if from == to {
		return x
	}
	if lit, ok := x.(*literalOp); ok {
		return &literalOp{kind: kindFloat, value: float64(lit.value.(int))}
	}
	return &toFloatOp{x: x}
}

// concat compiles a chain of string +, gathering the left operands of the
// left-nested +: ((a + b) + c) is one op over a, b and c.
func (c *columnarCompiler) concat(n *ast.BinaryNode) (op, kind, error) {
	var chain []*ast.BinaryNode
	var node ast.Node = n
	for {
		b, ok := node.(*ast.BinaryNode)
		if !ok || b.Operator != "+" {
			break
		}
		if k, ok := kindOf(b); !ok || k != kindString {
			break
		}
		chain = append(chain, b)
		node = b.Left
	}
	// chain runs from the outermost + to the innermost; node is the first
	// operand.
	o := &concatOp{}
	first, fk, err := c.compile(node)
	if err != nil {
		return nil, 0, err
	}
	o.parts = append(o.parts, first)
	kinds := []kind{fk}
	for i := len(chain) - 1; i >= 0; i-- {
		b := chain[i]
		part, pk, err := c.compile(b.Right)
		if err != nil {
			return nil, 0, err
		}
		if kinds[len(kinds)-1] != kindString || pk != kindString {
			return nil, 0, unsupported(b, "operands of kinds %s and %s", kinds[len(kinds)-1], pk)
		}
		left := kindString // the sum so far
		if len(o.parts) == 1 {
			left = fk
		}
		s, err := c.strictness(b, []kind{left, pk}, func(a []any) { runtime.Add(a[0], a[1]) })
		if err != nil {
			return nil, 0, err
		}
		o.parts = append(o.parts, part)
		o.strict = append(o.strict, s)
		kinds = append(kinds, pk)
	}
	o.vecs = make([]*vector, len(o.parts))
	return o, kindString, nil
}

// in compiles `x in [literals]`, which the optimiser leaves as a set (a map
// of ints or of strings) or a list of literals.
func (c *columnarCompiler) in(n *ast.BinaryNode, k kind) (op, kind, error) {
	list, ok := n.Right.(*ast.ConstantNode)
	if !ok || k != kindBool {
		return nil, 0, unsupported(n, "in something other than a list of literals")
	}
	x, xk, err := c.compile(n.Left)
	if err != nil {
		return nil, 0, err
	}
	switch set := list.Value.(type) {
	case map[int]struct{}:
		if xk == kindInt || xk == kindNil {
			return &inSetOp{x: x, kind: xk, ints: set, setKind: kindInt}, kindBool, nil
		}
	case map[string]struct{}:
		if xk == kindString || xk == kindNil {
			return &inSetOp{x: x, kind: xk, strs: set, setKind: kindString}, kindBool, nil
		}
	case []any:
		o := &inListOp{x: x, kind: xk}
		for _, e := range set {
			switch e := e.(type) {
			case int:
				o.ints = append(o.ints, e)
			case float64:
				o.floats = append(o.floats, e)
			case string:
				o.strs = append(o.strs, e)
			case bool:
				o.bools = append(o.bools, e)
			default:
				return nil, 0, unsupported(n, "an element of type %T", e)
			}
		}
		switch xk {
		case kindInt, kindFloat, kindString, kindBool, kindNil:
			return o, kindBool, nil
		}
	}
	return nil, 0, unsupported(n, "%s in %s", xk, reflect.TypeOf(list.Value))
}

func (c *columnarCompiler) conditional(n *ast.ConditionalNode, k kind) (op, kind, error) {
	cond, ck, err := c.compile(n.Cond)
	if err != nil {
		return nil, 0, err
	}
	yes, yk, err := c.compile(n.Exp1)
	if err != nil {
		return nil, 0, err
	}
	no, nk, err := c.compile(n.Exp2)
	if err != nil {
		return nil, 0, err
	}
	if ck != kindBool || (yk != k && yk != kindNil) || (nk != k && nk != kindNil) {
		return nil, 0, unsupported(n, "branches of kinds %s and %s", yk, nk)
	}
	s, err := c.strictness(n, []kind{ck}, assertion(kindBool))
	return &condOp{cond: cond, yes: yes, no: no, kind: k, yesKind: yk, noKind: nk, strict: s}, k, err
}

func (c *columnarCompiler) builtin(n *ast.BuiltinNode, k kind) (op, kind, error) {
	impl, ok := builtinKernels[n.Name]
	if !ok {
		return nil, 0, unsupported(n, "builtin %s is not implemented", n.Name)
	}
	o := &funcOp{kind: k, kernel: impl.kernel, column: c.column(n)}
	for _, a := range n.Arguments {
		arg, ak, err := c.compile(a)
		if err != nil {
			return nil, 0, err
		}
		o.args = append(o.args, arg)
		o.kinds = append(o.kinds, ak)
	}
	argsOK := false
	for _, count := range impl.args {
		argsOK = argsOK || count == len(o.args)
	}
	if !argsOK || !impl.check(o.kinds, k) {
		return nil, 0, unsupported(n, "arguments of kinds %v", o.kinds)
	}
	o.vecs = make([]*vector, len(o.args))
	if impl.strict {
		s, err := c.strictness(n, o.kinds, func(a []any) { callBuiltin(n.Name, a...) })
		if err != nil {
			return nil, 0, err
		}
		o.strict = &s
	}
	return o, k, nil
}
