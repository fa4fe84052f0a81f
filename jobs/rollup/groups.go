package rollup

import (
	"bytes"
	"slices"
)

// groups is GROUP BY on one text column: a group per value, and NULL (a
// nil name) a group of its own, apart from the empty text.
type groups[T any] struct {
	named map[string]*T
	null  *T
	mk    func(name []byte) *T // a new group; name is the group's own copy
}

func newGroups[T any](mk func(name []byte) *T) *groups[T] {
	return &groups[T]{named: map[string]*T{}, mk: mk}
}

// get is name's group, made on first use.
func (g *groups[T]) get(name []byte) *T {
	if name == nil {
		if g.null == nil {
			g.null = g.mk(nil)
		}
		return g.null
	}
	t := g.named[string(name)]
	if t == nil {
		t = g.mk(bytes.Clone(name))
		g.named[string(name)] = t
	}
	return t
}

// sorted is every group, in the byte order of name(group).
func (g *groups[T]) sorted(name func(*T) []byte) []*T {
	all := make([]*T, 0, len(g.named)+1)
	if g.null != nil {
		all = append(all, g.null)
	}
	for _, t := range g.named {
		all = append(all, t)
	}
	slices.SortFunc(all, func(x, y *T) int { return bytes.Compare(name(x), name(y)) })
	return all
}
