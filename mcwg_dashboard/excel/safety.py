"""Checks on an uploaded workbook file, made before any spreadsheet library opens it.

An .xlsx file is a zip package of XML parts. We refuse anything that is not exactly that: other
extensions, macro-enabled packages, damaged zips, and packages that would unpack to far more than
they weigh (zip bombs). The limits are generous for a 74-row survey workbook (a few dozen kB).
"""

from __future__ import annotations

import io
import zipfile
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
"""The uploaded file itself."""
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
"""All parts of the package together, unpacked."""
MAX_COMPRESSION_RATIO = 100
"""Unpacked size / packed size of one part; checked for parts above RATIO_CHECK_FROM_BYTES."""
RATIO_CHECK_FROM_BYTES = 1024 * 1024
MAX_MEMBERS = 500
"""Parts in the package (an Excel workbook has a few dozen)."""
MAX_CONTENT_TYPES_BYTES = 256 * 1024

WORKBOOK_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_CONTENT_TYPES_PART = "[Content_Types].xml"
_CT_NAMESPACE = "{http://schemas.openxmlformats.org/package/2006/content-types}"

_ZIP_SIGNATURE = b"PK\x03\x04"
_OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

_SAVE_AS_XLSX = "In Excel use File > Save As > Excel Workbook (*.xlsx), or download a fresh workbook."


class UploadRejected(ValueError):
    """The file is refused as a whole; the message says why and what to do."""


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def check_filename(filename: str) -> None:
    name = filename.strip()
    lowered = name.casefold()
    if lowered.endswith(".xlsx"):
        return
    if lowered.endswith((".xlsm", ".xltm", ".xlam")):
        raise UploadRejected(f"{name!r} is a macro-enabled workbook: macro-enabled files are refused. {_SAVE_AS_XLSX}")
    if lowered.endswith((".xls", ".xlt")):
        raise UploadRejected(
            f"{name!r} is in the old Excel 97-2003 format (.xls), which is not accepted. {_SAVE_AS_XLSX}"
        )
    if lowered.endswith((".csv", ".tsv", ".txt")):
        raise UploadRejected(
            f"{name!r} is a text (CSV) file: only the survey workbook (.xlsx) can be uploaded. {_SAVE_AS_XLSX}"
        )
    raise UploadRejected(f"{name!r} is not an Excel workbook: the file name must end in .xlsx. {_SAVE_AS_XLSX}")


def _check_content_types(archive: zipfile.ZipFile, name: str) -> None:
    try:
        info = archive.getinfo(_CONTENT_TYPES_PART)
    except KeyError:
        raise UploadRejected(f"{name!r} is not an Excel workbook: the package has no {_CONTENT_TYPES_PART}.") from None
    if info.file_size > MAX_CONTENT_TYPES_BYTES:
        raise UploadRejected(f"{name!r} is not a usable Excel workbook: its {_CONTENT_TYPES_PART} is too large.")
    try:
        root = fromstring(archive.read(info))
    except (ParseError, DefusedXmlException, zipfile.BadZipFile, ValueError):
        raise UploadRejected(f"{name!r} is damaged: its {_CONTENT_TYPES_PART} cannot be read.") from None
    content_types = [element.get("ContentType", "") for element in root.iter()]
    if any("macroenabled" in ct.casefold() or "vbaproject" in ct.casefold() for ct in content_types):
        raise UploadRejected(f"{name!r} is a macro-enabled workbook: macro-enabled files are refused. {_SAVE_AS_XLSX}")
    workbook_types = [
        element.get("ContentType", "")
        for element in root.iter(f"{_CT_NAMESPACE}Override")
        if element.get("ContentType", "").casefold() == WORKBOOK_CONTENT_TYPE
    ]
    if not workbook_types:
        raise UploadRejected(
            f"{name!r} is not an Excel workbook (.xlsx): it has no workbook part of type "
            f"{WORKBOOK_CONTENT_TYPE} (a template, a Word or PowerPoint file renamed to .xlsx?). {_SAVE_AS_XLSX}"
        )


_DTD_MARKERS = (b"<!doctype", b"<!entity")


def _check_no_dtd(part: bytes, part_name: str, name: str) -> None:
    """Excel never writes a DTD; one in any part (referenced or not) can declare entities that expand on parsing
    (billion laughs) or fetch files, so the whole file is refused. Read in UTF-8 and, with the NUL bytes taken
    out, UTF-16 or UTF-32 (ASCII characters there are the same bytes with NULs between)."""
    lowered = part.lower()
    for text in (lowered, lowered.replace(b"\x00", b"")):
        if any(marker in text for marker in _DTD_MARKERS):
            raise UploadRejected(
                f"{name!r} holds a document type declaration (<!DOCTYPE or <!ENTITY) in {part_name}, which Excel "
                f"never writes: refused. {_SAVE_AS_XLSX}"
            )


def check_upload(data: bytes, *, filename: str) -> None:
    """Raise UploadRejected unless the bytes are a plain .xlsx package within the limits.

    Nothing here parses a worksheet: only the zip directory and [Content_Types].xml are read, and every
    part is decompressed once (bounded by the size limits) to verify its checksum and that it holds no DTD.
    """
    check_filename(filename)
    name = filename.strip()
    if len(data) == 0:
        raise UploadRejected(f"{name!r} is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadRejected(
            f"{name!r} is {_megabytes(len(data))}; the limit is {_megabytes(MAX_UPLOAD_BYTES)}. "
            "A survey workbook is far smaller: download a fresh one and enter your answers there."
        )
    if not zipfile.is_zipfile(io.BytesIO(data)):
        if data.startswith(_ZIP_SIGNATURE):
            raise UploadRejected(f"{name!r} is damaged (incomplete or corrupted zip package). Upload it again.")
        if data.startswith(_OLE2_SIGNATURE):
            raise UploadRejected(
                f"{name!r} is not a plain .xlsx workbook: it is an old-format .xls, or a password-protected "
                f"workbook, renamed to .xlsx. Remove any password, then: {_SAVE_AS_XLSX}"
            )
        raise UploadRejected(
            f"{name!r} is not an Excel workbook (.xlsx): its content is not a workbook package "
            f"(a CSV or other file renamed to .xlsx?). {_SAVE_AS_XLSX}"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > MAX_MEMBERS:
                raise UploadRejected(f"{name!r} has {len(members)} parts; a workbook has far fewer. Refused.")
            total = 0
            for info in members:
                if "vbaproject" in info.filename.casefold():
                    raise UploadRejected(
                        f"{name!r} contains macros ({info.filename}): macro-enabled files are refused. {_SAVE_AS_XLSX}"
                    )
                if info.flag_bits & 0x1:
                    raise UploadRejected(f"{name!r} is encrypted: remove the password and save it again.")
                total += info.file_size
                if total > MAX_UNCOMPRESSED_BYTES:
                    raise UploadRejected(
                        f"{name!r} would unpack to more than {_megabytes(MAX_UNCOMPRESSED_BYTES)}; refused "
                        "(a survey workbook unpacks to well under 1 MB)."
                    )
                if info.file_size > RATIO_CHECK_FROM_BYTES and (
                    info.compress_size == 0 or info.file_size / info.compress_size > MAX_COMPRESSION_RATIO
                ):
                    raise UploadRejected(
                        f"{name!r} has a part ({info.filename}) compressed more than {MAX_COMPRESSION_RATIO} to 1; "
                        "refused as a possible zip bomb."
                    )
            # Decompress every part once (sizes bounded above): reading a part to its end verifies its checksum,
            # which catches damaged files, and lets us look for a DTD before any XML parser sees the part.
            for info in members:
                try:
                    part = archive.read(info)
                except zipfile.BadZipFile:
                    raise UploadRejected(
                        f"{name!r} is damaged: the part {info.filename} is corrupted. Upload it again."
                    ) from None
                _check_no_dtd(part, info.filename, name)
            _check_content_types(archive, name)
    except UploadRejected:
        raise
    except Exception as exc:  # zipfile, zlib and the XML parser raise many kinds: all mean "damaged"
        raise UploadRejected(f"{name!r} is damaged and cannot be read ({exc}). Upload it again.") from None
