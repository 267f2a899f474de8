//go:build !unix

package membudget

func addressSpaceLimit() (int64, bool) { return 0, false }
