#!/bin/sh
# Rebuilds the test ELF files from linux-tables.s (run once; the outputs are committed).
# Made with GNU as / ld 2.40 (Debian 12): any version gives the same sections and relocations.
set -e
cd "$(dirname "$0")"
as --64 -o linux-tables.o linux-tables.s
ld -N -T vmlinux.lds --build-id=none --no-warn-rwx-segments -o linux-tables.vmlinux linux-tables.o
strip --strip-debug linux-tables.o
