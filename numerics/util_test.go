package numerics

import "errors"

func asDenseTooLarge(err error, target **DenseTooLargeError) bool { return errors.As(err, target) }
