"""Zips target/lambda/<function>/bootstrap into bootstrap.zip (as Lambda takes it) and prints sizes."""
import os
import sys
import zipfile

for function in sys.argv[1:]:
    src = f"target/lambda/{function}/bootstrap"
    dst = f"target/lambda/{function}/bootstrap.zip"
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o755 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        with open(src, "rb") as binary:
            archive.writestr(info, binary.read())
    print(f"{function:<14} bootstrap {os.path.getsize(src) / 1e6:6.2f} MB   zip {os.path.getsize(dst) / 1e6:6.2f} MB")
