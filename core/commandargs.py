"""Argument types for management commands whose options take a number within limits."""

import argparse
import math


def number_in_range(kind, *, unit, minimum, maximum=None, example):
    """Return an argparse type that converts an option's text to `kind` (int or float) within limits.

    The limits are inclusive, and a missing `maximum` means no upper limit. A value that is not
    a number of that kind, or lies outside the limits, raises ArgumentTypeError. argparse reports
    it as "argument --option: ...", and call_command raises it as a CommandError.

    NOTE: call_command("cmd", option=value) skips argparse, so a value passed that way is not checked.
    """
    number_prefix = "a whole number of " if kind is int else ""
    if maximum is None:
        expected = f"{number_prefix}{minimum:g} or more {unit}"
    else:
        expected = f"{number_prefix or 'a number of '}{unit} from {minimum:g} to {maximum:g}"

    def convert(text):
        try:
            value = kind(text)
        except ValueError:
            value = None
        # float() accepts "nan" and "inf", which no limit can hold.
        in_range = value is not None and math.isfinite(value) and value >= minimum and (maximum is None or value <= maximum)
        if not in_range:
            raise argparse.ArgumentTypeError(f"must be {expected}, such as {example:g}, got {text!r}.")
        return value

    return convert
