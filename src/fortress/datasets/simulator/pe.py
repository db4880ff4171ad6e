"""malware_classifier stand-in: ClaMP-like raw PE header fields of Windows executables.

Every file starts from a consistent MSVC-built header (DOS stub values, x86 or x64 optional header,
section sizes aligned and adding up to ``SizeOfImage``). Benign builds are MSVC applications and DLLs,
Delphi programs (old linker, the 1992 timestamp bug, no ASLR: a classic false positive) and .NET or
installer stubs. Malware is UPX-style packed (empty raw sections, entry point outside the code),
built with VB6-era toolchains, MSVC-built with forged timestamps and no checksum, or carries a
hand-edited DOS/COFF header.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from fortress.catalog.fields import PE_HEADER_FIELDS
from fortress.datasets.simulator.base import (
    FloatArray,
    Sample,
    counts,
    flip_binary,
    frame,
    lognormal,
    mixture,
)

Columns = dict[str, FloatArray]

_MZ = 23117.0
_ASLR_NX = (33088.0, 49504.0, 34112.0, 16704.0, 320.0, 1344.0)


def _aligned(values: FloatArray, alignment: float) -> FloatArray:
    return np.ceil(values / alignment) * alignment


def _choice(
    rng: np.random.Generator, options: tuple[float, ...], m: int, p: tuple[float, ...] | None = None
) -> FloatArray:
    weights = None if p is None else np.asarray(p) / np.sum(p)
    return np.asarray(options, dtype=np.float64)[rng.choice(len(options), m, p=weights)]


def _msvc(m: int, rng: np.random.Generator) -> Columns:
    """A consistent MSVC-style header: the baseline every archetype edits."""
    x64 = rng.random(m) < 0.4
    dll = rng.random(m) < 0.3
    code = _aligned(lognormal(rng, 2e5, 1.4, m), 512.0)
    data = _aligned(lognormal(rng, 1.5e5, 1.5, m), 512.0)
    c: Columns = {name: np.zeros(m) for name in PE_HEADER_FIELDS}
    c.update(
        e_magic=np.full(m, _MZ),
        e_cblp=np.full(m, 144.0),
        e_cp=np.full(m, 3.0),
        e_cparhdr=np.full(m, 4.0),
        e_maxalloc=np.full(m, 65535.0),
        e_sp=np.full(m, 184.0),
        e_lfarlc=np.full(m, 64.0),
        e_lfanew=_choice(rng, (216.0, 224.0, 232.0, 240.0, 248.0, 256.0, 264.0, 272.0, 280.0), m),
        Machine=np.where(x64, 34404.0, 332.0),
        NumberOfSections=3.0 + counts(rng, 1.8, 6.0, m),
        CreationYear=np.floor(rng.uniform(2006, 2021, m)),
        SizeOfOptionalHeader=np.where(x64, 240.0, 224.0),
        Characteristics=np.where(dll, 8192.0, 0.0) + np.where(x64, 34.0, 258.0),
        Magic=np.where(x64, 523.0, 267.0),
        MajorLinkerVersion=_choice(rng, (9.0, 10.0, 11.0, 12.0, 14.0), m, (0.1, 0.15, 0.15, 0.2, 0.4)),
        MinorLinkerVersion=_choice(rng, (0.0, 10.0, 16.0, 20.0, 29.0), m),
        SizeOfCode=code,
        SizeOfInitializedData=data,
        AddressOfEntryPoint=np.floor(4096.0 + code * rng.uniform(0.05, 0.9, m)),
        BaseOfCode=np.full(m, 4096.0),
        BaseOfData=np.where(x64, 0.0, 4096.0 + _aligned(code, 4096.0)),
        ImageBase=np.where(
            x64, np.where(dll, 6442450944.0, 5368709120.0), np.where(dll, 268435456.0, 4194304.0)
        ),
        SectionAlignment=np.full(m, 4096.0),
        FileAlignment=np.full(m, 512.0),
        MajorOperatingSystemVersion=_choice(rng, (5.0, 6.0, 10.0), m, (0.3, 0.5, 0.2)),
        MinorOperatingSystemVersion=_choice(rng, (0.0, 1.0), m),
        MajorImageVersion=_choice(rng, (0.0, 1.0, 6.0, 10.0), m, (0.5, 0.2, 0.15, 0.15)),
        MinorImageVersion=_choice(rng, (0.0, 1.0, 3.0), m, (0.7, 0.2, 0.1)),
        MajorSubsystemVersion=_choice(rng, (5.0, 6.0, 10.0), m, (0.3, 0.5, 0.2)),
        MinorSubsystemVersion=_choice(rng, (0.0, 1.0, 2.0), m),
        SizeOfImage=_aligned(code, 4096.0) + _aligned(data, 4096.0) + 4096.0,
        SizeOfHeaders=_choice(rng, (1024.0, 4096.0), m, (0.9, 0.1)),
        CheckSum=np.where(rng.random(m) < 0.65, np.floor(lognormal(rng, 3e5, 1.2, m)), 0.0),
        Subsystem=np.where(dll | (rng.random(m) < 0.7), 2.0, 3.0),
        DllCharacteristics=_choice(rng, _ASLR_NX, m),
        SizeOfStackReserve=np.full(m, 1048576.0),
        SizeOfStackCommit=np.full(m, 4096.0),
        SizeOfHeapReserve=np.full(m, 1048576.0),
        SizeOfHeapCommit=np.full(m, 4096.0),
        NumberOfRvaAndSizes=np.full(m, 16.0),
    )
    return c


def _delphi(m: int, rng: np.random.Generator) -> Columns:
    c = _msvc(m, rng)
    c.update(
        e_cblp=np.full(m, 80.0),
        e_cp=np.full(m, 2.0),
        e_minalloc=np.full(m, 15.0),
        e_ovno=np.full(m, 26.0),
        e_lfanew=np.full(m, 256.0),
        Machine=np.full(m, 332.0),
        SizeOfOptionalHeader=np.full(m, 224.0),
        Magic=np.full(m, 267.0),
        Characteristics=np.full(m, 33166.0),
        ImageBase=np.full(m, 4194304.0),
        MajorLinkerVersion=np.full(m, 2.0),
        MinorLinkerVersion=np.full(m, 25.0),
        NumberOfSections=7.0 + counts(rng, 1.5, 4.0, m),
        MajorOperatingSystemVersion=np.full(m, 4.0),
        MajorSubsystemVersion=np.full(m, 4.0),
        CheckSum=np.zeros(m),
        CreationYear=np.where(rng.random(m) < 0.7, 1992.0, np.floor(rng.uniform(2008, 2021, m))),
        DllCharacteristics=np.where(rng.random(m) < 0.8, 0.0, 32768.0),
        SizeOfStackReserve=np.full(m, 1048576.0),
        SizeOfStackCommit=np.full(m, 16384.0),
        SizeOfUninitializedData=_aligned(lognormal(rng, 8e3, 1.0, m), 512.0),
    )
    return c


def _dotnet(m: int, rng: np.random.Generator) -> Columns:
    c = _msvc(m, rng)
    c.update(
        NumberOfSections=np.full(m, 3.0),
        MajorLinkerVersion=_choice(rng, (8.0, 11.0, 48.0), m),
        MinorLinkerVersion=np.zeros(m),
        SizeOfInitializedData=_aligned(lognormal(rng, 3e6, 1.5, m), 512.0),
        SizeOfImage=c["SizeOfImage"] + _aligned(lognormal(rng, 3e6, 1.5, m), 4096.0),
        CheckSum=np.zeros(m),
        MajorOperatingSystemVersion=np.full(m, 4.0),
        MajorSubsystemVersion=np.full(m, 4.0),
        DllCharacteristics=_choice(rng, (34112.0, 1344.0, 33120.0), m),
    )
    return c


def _packed(m: int, rng: np.random.Generator) -> Columns:
    c = _msvc(m, rng)
    unpacked = _aligned(lognormal(rng, 4e5, 1.0, m), 4096.0)
    c.update(
        NumberOfSections=_choice(rng, (2.0, 3.0, 4.0), m, (0.2, 0.7, 0.1)),
        SizeOfUninitializedData=unpacked,
        SizeOfImage=c["SizeOfImage"] + unpacked,
        AddressOfEntryPoint=np.floor(4096.0 + unpacked + c["SizeOfCode"] * rng.uniform(0.5, 1.0, m)),
        MajorLinkerVersion=_choice(rng, (2.0, 6.0, 9.0, 14.0), m, (0.3, 0.3, 0.2, 0.2)),
        CheckSum=np.where(rng.random(m) < 0.9, 0.0, c["CheckSum"]),
        DllCharacteristics=np.where(rng.random(m) < 0.75, 0.0, c["DllCharacteristics"]),
        MajorOperatingSystemVersion=_choice(rng, (4.0, 5.0), m),
        MajorSubsystemVersion=_choice(rng, (4.0, 5.0), m),
        CreationYear=_odd_years(rng, m, 0.4),
    )
    return c


def _vb6(m: int, rng: np.random.Generator) -> Columns:
    c = _msvc(m, rng)
    c.update(
        Machine=np.full(m, 332.0),
        SizeOfOptionalHeader=np.full(m, 224.0),
        Magic=np.full(m, 267.0),
        Characteristics=np.full(m, 271.0),
        ImageBase=np.full(m, 4194304.0),
        MajorLinkerVersion=np.full(m, 6.0),
        MinorLinkerVersion=np.zeros(m),
        NumberOfSections=np.full(m, 3.0),
        MajorOperatingSystemVersion=np.full(m, 4.0),
        MajorSubsystemVersion=np.full(m, 4.0),
        MajorImageVersion=_choice(rng, (1.0, 2.0, 3.0), m),
        DllCharacteristics=np.zeros(m),
        CheckSum=np.where(rng.random(m) < 0.95, 0.0, c["CheckSum"]),
        CreationYear=_odd_years(rng, m, 0.3),
    )
    return c


def _msvc_malware(m: int, rng: np.random.Generator) -> Columns:
    c = _msvc(m, rng)
    c.update(
        CheckSum=np.where(rng.random(m) < 0.85, 0.0, c["CheckSum"]),
        CreationYear=_odd_years(rng, m, 0.45),
        DllCharacteristics=np.where(
            rng.random(m) < 0.55, _choice(rng, (0.0, 1024.0, 32768.0), m), c["DllCharacteristics"]
        ),
        Characteristics=c["Characteristics"]
        + np.where(rng.random(m) < 0.5, 1.0, 0.0),  # relocations stripped
        NumberOfSections=c["NumberOfSections"] + counts(rng, 1.0, 1.0, m),
        MajorImageVersion=np.zeros(m),
        SizeOfCode=_aligned(lognormal(rng, 6e4, 1.2, m), 512.0),
    )
    return c


def _hand_edited(m: int, rng: np.random.Generator) -> Columns:
    packed, built = _packed(m, rng), _msvc_malware(m, rng)
    from_packer = rng.random(m) < 0.5
    c = {name: np.where(from_packer, packed[name], built[name]) for name in PE_HEADER_FIELDS}
    edit = rng.random((6, m)) < 0.5
    c["e_lfanew"] = np.where(edit[0], _choice(rng, (64.0, 128.0, 176.0), m), c["e_lfanew"])
    c["e_cblp"] = np.where(edit[1], _choice(rng, (0.0, 64.0, 400.0), m), c["e_cblp"])
    c["PointerToSymbolTable"] = np.where(edit[2], np.floor(lognormal(rng, 5e4, 1.0, m)), 0.0)
    c["NumberOfSymbols"] = np.where(edit[2], counts(rng, 300.0, 0.5, m), 0.0)
    c["SectionAlignment"] = np.where(edit[3], 512.0, c["SectionAlignment"])
    c["SizeOfHeaders"] = np.where(edit[4], _choice(rng, (512.0, 600.0), m), c["SizeOfHeaders"])
    c["e_csum"] = np.where(edit[5], np.floor(rng.uniform(1, 65535, m)), 0.0)
    return c


def _odd_years(rng: np.random.Generator, m: int, share: float) -> FloatArray:
    """Compile years, a ``share`` of them forged (epoch zero, far future, random)."""
    forged = _choice(rng, (1970.0, 1992.0, 2036.0, 2040.0), m) + np.floor(rng.uniform(0, 3, m))
    return np.where(rng.random(m) < share, forged, np.floor(rng.uniform(2008, 2021, m)))


# (malicious, weight, archetype): about 55 % malware, as in ClaMP.
_ARCHETYPES: tuple[tuple[int, float, Callable[[int, np.random.Generator], Columns]], ...] = (
    (0, 0.32, _msvc),
    (0, 0.07, _delphi),
    (0, 0.06, _dotnet),
    (1, 0.22, _packed),
    (1, 0.08, _vb6),
    (1, 0.20, _msvc_malware),
    (1, 0.05, _hand_edited),
)


def pe_headers(n: int, rng: np.random.Generator) -> Sample:
    """PE header records; about 55 % malware."""
    columns = {name: np.zeros(n) for name in PE_HEADER_FIELDS}
    y = mixture(n, rng, _ARCHETYPES, columns)
    return Sample(frame(columns, PE_HEADER_FIELDS), flip_binary(y, rng, 0.006, 0.006))
