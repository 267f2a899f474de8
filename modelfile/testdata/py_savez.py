# Re-zips the entries of model.npz the way np.savez (stored) and
# np.savez_compressed (deflated) write archives: Python's zipfile, each
# entry opened with force_zip64=True. Needs Python 3 only, not numpy.
# Run from this directory: python3 py_savez.py
import zipfile

src = zipfile.ZipFile("model.npz")
for out, comp in [("py_savez_zip64.npz", zipfile.ZIP_STORED),
                  ("py_savez_compressed_zip64.npz", zipfile.ZIP_DEFLATED)]:
    with zipfile.ZipFile(out, mode="w", compression=comp, allowZip64=True) as z:
        for name in src.namelist():
            with z.open(name, "w", force_zip64=True) as fid:
                fid.write(src.read(name))
