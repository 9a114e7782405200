"""The outcome of one check of one variant: one line, pass or fail, why."""
import dataclasses


@dataclasses.dataclass(frozen=True)
class Result:
  variant: str
  check: str
  passed: bool
  reason: str

  def line(self):
    return "%s %s %s: %s" % ("PASS" if self.passed else "FAIL", self.variant,
                             self.check, self.reason)
