package datasets

import "sync"

// onceCache computes a value at most once per key within the process and
// shares it between concurrent callers. Failures are not cached: the next
// call for the same key tries again.
type onceCache[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]*onceEntry[V]
}

type onceEntry[V any] struct {
	once sync.Once
	v    V
	err  error
}

func (c *onceCache[K, V]) get(k K, compute func() (V, error)) (V, error) {
	c.mu.Lock()
	if c.m == nil {
		c.m = make(map[K]*onceEntry[V])
	}
	e, ok := c.m[k]
	if !ok {
		e = &onceEntry[V]{}
		c.m[k] = e
	}
	c.mu.Unlock()

	e.once.Do(func() { e.v, e.err = compute() })
	if e.err != nil {
		c.mu.Lock()
		if c.m[k] == e {
			delete(c.m, k)
		}
		c.mu.Unlock()
	}
	return e.v, e.err
}
