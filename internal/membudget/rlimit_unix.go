//go:build unix

package membudget

import "syscall"

// addressSpaceLimit is the soft RLIMIT_AS (ulimit -v), if one is set
// (unlimited is RLIM_INFINITY, all ones, caught by the bound).
func addressSpaceLimit() (int64, bool) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_AS, &r); err != nil || r.Cur >= 1<<62 {
		return 0, false
	}
	return int64(r.Cur), true
}
