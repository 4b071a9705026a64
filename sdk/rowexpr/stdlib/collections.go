package stdlib

// collectionFunctions documents the expr builtins that work on lists (an
// Arrow list column arrives as a list) and maps (from fromJSON). Predicates
// are expressions in which # is the current element, as in filter(l, # > 1).
// Sluice adds none of its own here: joinNonEmpty (strings), coalesce and
// isBlank (conversion) cover null-safe joining and emptiness.
func collectionFunctions() []Function {
	return []Function{
		{
			Name: "join", Category: catCollections, Builtin: true,
			Signature: "join(items list[, sep string]) string",
			Doc:       "Joins a list of strings with sep (default \"\"). Fails if the list is null or holds a null or a non-string: joinNonEmpty skips nulls and formats numbers.",
			Examples:  []Example{{`join(["a", "b", "c"], ", ")`, `"a, b, c"`}},
		},
		{
			Name: "first", Category: catCollections, Builtin: true,
			Signature: "first(items list) any",
			Doc:       "The first element of the list, or null if it is empty.",
			Examples: []Example{
				{`first(split("Jane Doe", " "))`, `"Jane"`},
				{`first([])`, `nil`},
			},
		},
		{
			Name: "last", Category: catCollections, Builtin: true,
			Signature: "last(items list) any",
			Doc:       "The last element of the list, or null if it is empty.",
			Examples:  []Example{{`last(split("a/b/c", "/"))`, `"c"`}},
		},
		{
			Name: "uniq", Category: catCollections, Builtin: true,
			Signature: "uniq(items list) list",
			Doc:       "The list without repeated elements, keeping the first occurrence of each.",
			Examples:  []Example{{`uniq(["b", "a", "b"])`, `["b", "a"]`}},
		},
		{
			Name: "sort", Category: catCollections, Builtin: true,
			Signature: "sort(items list[, order string]) list",
			Doc:       "A sorted copy of a list of numbers or strings, ascending or with order \"desc\" descending.",
			Examples: []Example{
				{`sort(["b", "c", "a"])`, `["a", "b", "c"]`},
				{`sort([3, 1, 2], "desc")`, `[3, 2, 1]`},
			},
		},
		{
			Name: "reverse", Category: catCollections, Builtin: true,
			Signature: "reverse(items list) list",
			Doc:       "A copy of the list in reverse order.",
			Examples:  []Example{{`reverse([1, 2, 3])`, `[3, 2, 1]`}},
		},
		{
			Name: "concat", Category: catCollections, Builtin: true,
			Signature: "concat(lists ...list) list",
			Doc:       "The lists joined end to end.",
			Examples:  []Example{{`concat([1], [2, 3])`, `[1, 2, 3]`}},
		},
		{
			Name: "flatten", Category: catCollections, Builtin: true,
			Signature: "flatten(items list) list",
			Doc:       "The list with nested lists replaced by their elements, at every depth.",
			Examples:  []Example{{`flatten([1, [2, [3]]])`, `[1, 2, 3]`}},
		},
		{
			Name: "keys", Category: catCollections, Builtin: true,
			Signature: "keys(m map) list",
			Doc:       "The keys of a map, in no particular order: sort them for stable output.",
			Examples:  []Example{{`sort(keys({"b": 1, "a": 2}))`, `["a", "b"]`}},
		},
		{
			Name: "values", Category: catCollections, Builtin: true,
			Signature: "values(m map) list",
			Doc:       "The values of a map, in no particular order.",
			Examples:  []Example{{`sort(values({"b": 1, "a": 2}))`, `[1, 2]`}},
		},
		{
			Name: "filter", Category: catCollections, Builtin: true,
			Signature: "filter(items list, predicate) list",
			Doc:       "The elements for which the predicate is true.",
			Examples:  []Example{{`filter([1, 2, 3, 4], # > 2)`, `[3, 4]`}},
		},
		{
			Name: "map", Category: catCollections, Builtin: true,
			Signature: "map(items list, predicate) list",
			Doc:       "The predicate's result for every element.",
			Examples:  []Example{{`map(["a", "b"], upper(#))`, `["A", "B"]`}},
		},
		{
			Name: "all", Category: catCollections, Builtin: true,
			Signature: "all(items list, predicate) bool",
			Doc:       "Reports whether the predicate is true for every element (true for an empty list).",
			Examples:  []Example{{`all([2, 4], # % 2 == 0)`, `true`}},
		},
		{
			Name: "any", Category: catCollections, Builtin: true,
			Signature: "any(items list, predicate) bool",
			Doc:       "Reports whether the predicate is true for at least one element.",
			Examples:  []Example{{`any(["crm", "etl"], # == "etl")`, `true`}},
		},
		{
			Name: "count", Category: catCollections, Builtin: true,
			Signature: "count(items list[, predicate]) int",
			Doc:       "The number of elements for which the predicate is true, or of true elements without one.",
			Examples:  []Example{{`count([1, 2, 3], # > 1)`, `2`}},
		},
		{
			Name: "sum", Category: catCollections, Builtin: true,
			Signature: "sum(items list[, predicate]) int|float",
			Doc:       "The sum of a list of numbers, or of the predicate's result for each element.",
			Examples: []Example{
				{`sum([1, 2, 3])`, `6`},
				{`sum([1.5, 2.5], # * 2)`, `8.0`},
			},
		},
	}
}
