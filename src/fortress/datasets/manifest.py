"""What each real dataset folder must hold: the files the loaders read, with checksums, sizes and shapes.

The values were computed from the project's reference copies (``sha256sum``, ``wc``). ``rows`` counts
data rows: non-empty lines less the header for CSV, non-empty lines for plain lists, elements for a JSON
array, and files for a mail folder. A folder entry's sha256 is defined in ``checksums``.

``source`` is the best known public origin of each file. ``direct`` says whether that URL is expected to
serve exactly these bytes; it is False where the file sits inside an archive, was sampled from a larger
release, or comes from a feed that has moved on since the snapshot (fetch those from a mirror: see
``fetch``). None of the URLs could be checked from the build machine, which has no internet access.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from fortress.errors import NotFound


class FileFormat(StrEnum):
    CSV = "csv"
    """Comma-separated values, with or without a header line."""
    LINES = "lines"
    """One value per line."""
    JSON_ARRAY = "json-array"
    """A JSON array of objects."""
    MAILDIR = "maildir"
    """A folder of raw RFC 822 messages, one per file; checksummed as a whole (see ``checksums``)."""


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    path: str
    """Relative to the dataset folder, '/'-separated."""
    sha256: str
    size: int
    """Bytes (for a folder: the sum over its files)."""
    rows: int
    format: FileFormat
    columns: int | None = None
    header: bool = False
    source: str = ""
    direct: bool = True
    archive: str = ""
    """For a folder fetched from a tarball: the tarball's folder holding the messages."""

    @property
    def is_folder(self) -> bool:
        return self.format is FileFormat.MAILDIR


@dataclass(frozen=True, slots=True)
class DatasetManifest:
    name: str
    """The dataset folder name, e.g. 'nsl-kdd'."""
    title: str
    homepage: str
    entries: tuple[ManifestEntry, ...]

    def entry(self, path: str) -> ManifestEntry:
        for e in self.entries:
            if e.path == path:
                return e
        raise NotFound(f"{self.name}/{path} is not in the dataset manifest")


def _csv(path: str, sha: str, size: int, rows: int, cols: int, src: str, *, header: bool = True,
         direct: bool = True) -> ManifestEntry:  # fmt: skip
    return ManifestEntry(path, sha, size, rows, FileFormat.CSV, cols, header, src, direct)


def _lines(path: str, sha: str, size: int, rows: int, src: str) -> ManifestEntry:
    return ManifestEntry(path, sha, size, rows, FileFormat.LINES, None, False, src)


def _mail(path: str, sha: str, size: int, files: int, tarball: str, folder: str) -> ManifestEntry:
    src = f"https://spamassassin.apache.org/old/publiccorpus/{tarball}"
    return ManifestEntry(path, sha, size, files, FileFormat.MAILDIR, source=src, archive=folder)


_NSL = "https://raw.githubusercontent.com/defcom17/NSL_KDD/master"
_CIC = "https://intrusion-detection.distrinet-research.be/CNS2022/Dataset_Download.html"
_DGA = "https://raw.githubusercontent.com/andrewaeva/DGA/master"
_CLAMP = "https://raw.githubusercontent.com/urwithajit9/ClaMP/master/dataset"
_STWEELER = "https://github.com/zafargilani/stcs"


def _cic(file: str, sha: str, size: int, rows: int) -> ManifestEntry:
    # Sampled (<= 5,000 rows per class) from the per-class CSVs of the improved CIC-IDS2017 release.
    return _csv(file, sha, size, rows, 91, f"{_CIC}#{file}", direct=False)


def _bots(path: str, sha: str, size: int, rows: int) -> ManifestEntry:
    # Member of Stweeler's 'classification_processed' archive (Gilani et al.).
    return _csv(path, sha, size, rows, 16, f"{_STWEELER}#classification_processed/{path}", direct=False)


MANIFESTS: dict[str, DatasetManifest] = {m.name: m for m in (
    DatasetManifest("nsl-kdd", "NSL-KDD (Canadian Institute for Cybersecurity, UNB)",
        "https://www.unb.ca/cic/datasets/nsl.html", (
        _csv("KDDTest+.txt", "fa46b0935342616aa83b7c2578db355b6a7aaabbc492248172c7a1e8b7ab8f84",
             3441513, 22544, 43, f"{_NSL}/KDDTest%2B.txt", header=False),
        _csv("KDDTrain+_20Percent.txt", "7ea86479faab5ca2190b7f18b4982fb058ce5bf2b46e0e1017d0d9ef90f9c16e",
             3822033, 25192, 43, f"{_NSL}/KDDTrain%2B_20Percent.txt", header=False),
        _csv("attack_types.csv", "8b2ded847bc9c6bc9a610e2a2a02568e91bb34e4711694c7bfd8e2fd62c2ff07",
             300, 24, 2, f"{_NSL}/Attack%20Types.csv", header=False),
        _csv("field_names.csv", "e6ce1b1f35966a203209433fd98f88eeb6f5d37f7fb3194aa20d9935b8f9e9d3",
             1050, 41, 2, f"{_NSL}/Field%20Names.csv", header=False),
    )),
    DatasetManifest("cicids2017-sampled", "CIC-IDS2017, improved flows (Engelen et al.), sampled per class",
        "https://www.unb.ca/cic/datasets/ids-2017.html", (
        _cic("BENIGN_5000.csv", "4eb03c14763fe5ff4f58e713e39ad930cfdec264e8d5262b4acd6df3227298ae",
             2761079, 5000),
        _cic("Botnet_736.csv", "55b49f70d1d7df13644a3d5f01abb742e35cda5d952ee43c737eaa38a1a6ea79",
             442132, 736),
        _cic("DDoS_5000.csv", "36eb4d2851997237b4b13e9f4c8175563d5236c784dcf7247b7b46b08dc62815",
             3312061, 5000),
        _cic("DoS_GoldenEye_5000.csv", "cb6f7b734168b643153cd45ce7f552e8b073b5b8a744c1a2a02763212d2cec6c",
             3573908, 5000),
        _cic("DoS_Hulk_5000.csv", "64789076d2559ce1e4bead0fcbe2b806de2b3c5cd97771705295cafd3ed0cfb7",
             3257105, 5000),
        _cic("DoS_Slowhttptest_1740.csv", "4159ba005254aa8b0a0c04b47844f2221369279eedf19308fa9875cc075f3534",
             1171369, 1740),
        _cic("DoS_Slowloris_3859.csv", "8114bfec656df7e8c4b9d539640ad3b01ad50794a2faa9fb0ccf5884ca03f157",
             2430078, 3859),
        _cic("FTP-Patator_3972.csv", "73355b1584316393ec7b367407db0e2914d18692eff3bd7b9cc91ed89daa8145",
             2720284, 3972),
        _cic("Heartbleed_11.csv", "bf610cc626325778dda3e54b431cc60142f6b8bffedb1f9b8a7f9481a673ea55",
             9625, 11),
        _cic("Infiltration_-_Portscan_5000.csv",
             "1a7a6a0906995f2eb6f2ea951b3d4ee024010e9e15783efb0a19c3c04876308d", 2052366, 5000),
        _cic("Infiltration_36.csv", "3cd57b9cd7a7a9f7fa98f2c4d2147febafe551cc9d9b86a949a6947cda576beb",
             27709, 36),
        _cic("Portscan_5000.csv", "022a5885f6704f8c4ab0ef888b31e5ee1aef46b6c64fe6b3c039e51f93f31c96",
             1946889, 5000),
        _cic("SSH-Patator_2961.csv", "07319168e4435ea24439f64ece1dcf64ad1c2c58cce9e062e9cba757aea94709",
             2055181, 2961),
        _cic("Web_Attack_-_Brute_Force_73.csv",
             "d244df46f686a48ded36b0328ad14e80beee1c5560fede0e3f07cea02ee030d9", 55681, 73),
        _cic("Web_Attack_-_SQL_Injection_13.csv",
             "aca6ed973bf1ace011a44ddfc3914393895828666314a018e7581e27343be1e0", 10030, 13),
        _cic("Web_Attack_-_XSS_18.csv", "51ffc2d6d24497e11768b2b80beca3a15353d76c3e28f5c98affc24e8affb94e",
             14577, 18),
    )),
    DatasetManifest("dga", "DGA family domain lists (reimplemented generators) and OpenDNS benign lists",
        "https://github.com/andrewaeva/DGA", (
        _lines("conficker.txt", "77df9523212e6bae2b0d20ba366f66e3ea2e66ee82530352d0cb8655bc44afac",
               1275461, 100000, f"{_DGA}/conficker.txt"),
        _lines("cryptolocker.txt", "e107e9ee81e5bd131c7bc7922749da26957bd08e8cd985f862b2739c23b6acfb",
               1878296, 100000, f"{_DGA}/dga_wordlists/cryptolocker.txt"),
        _lines("goz.txt", "8aea7d4f8b066c83e90fad8093296a24fc3ac420a8bab3c6ecf620dcee33d729",
               48741, 1667, f"{_DGA}/dga_wordlists/goz.txt"),
        _lines("matsnu.txt", "60de07bfbfdebc03c814fd1755b7ee8e3bbac0ce8eca7df64e0081e1a48685be",
               3152736, 100000, f"{_DGA}/dga_wordlists/matsnu.txt"),
        _lines("new_goz.txt", "8b9e7752e30e599ceba57aeecf394f2204e664bcb727b44c0801609e57baff93",
               51456, 1666, f"{_DGA}/dga_wordlists/new_goz.txt"),
        _lines("others_dga.txt", "a7b166a40e69e051846a6ed82c2ccb701d2def662a98d298e1c5f95b5069d9aa",
               41874, 2669, f"{_DGA}/dga_wordlists/others_dga.txt"),
        _lines("pushdo.txt", "af037bd0365b63971467d4044c0551b1fbcf62cf07a55031ba25c16ed52132e4",
               1199999, 100000, f"{_DGA}/pushdo.txt"),
        _lines("ramdo.txt", "9f1ac3f175be2d7e04be9710ea2b0f69118b634c79d6875339919e2e7173c689",
               2099999, 100000, f"{_DGA}/dga_wordlists/ramdo.txt"),
        _lines("rovnix.txt", "4756b2135169167160695aac6a3e6184ac27c1a2ff23077272388ade751ad872",
               2779379, 100000, f"{_DGA}/rovnix.txt"),
        _lines("tinba.txt", "8b09018703546d3bba47f31832815e59913749e4d1e9d9b5d3841f91bf50bbc8",
               1699999, 100000, f"{_DGA}/tinba.txt"),
        _lines("zeus.txt", "014132dcc5dc0e0e81378bc3ad82fb34f5dd2fe843f92945c12fb132f483720a",
               3087799, 100000, f"{_DGA}/dga_wordlists/zeus.txt"),
        _lines("opendns-random-domains.txt",
               "18a6c698a012ca93150c02ccb8f3ba572e53b54d409e289e9b84c1fecd02dd2c", 152961, 10000,
               f"{_DGA}/opendns-random-domains.txt"),
        _lines("opendns-top-domains.txt", "65e8d5507b8d9649864a66a0f64e1184889e5c5f2f5ac9dfa0c7f7bcff65e604",
               135643, 10000, f"{_DGA}/opendns-top-domains.txt"),
    )),
    DatasetManifest("phishing-urls", "PhishTank verified online URLs; ISCX-URL-2016 benign URLs",
        "https://www.unb.ca/cic/datasets/url-2016.html", (
        _csv("phishtank_online_valid.csv", "6a9cb453f9ff880c1e070ec0cbed68ca34541641de74c491100e7df830214fc9",
             3230869, 14858, 8, "http://data.phishtank.com/data/online-valid.csv", direct=False),
        _csv("benign_iscx_url2016.csv", "07cd35b469ad2c1cbe8c4a56c59e76560b6253978e8e625e90286ff0f6bc18b2",
             4139474, 35378, 1, "http://205.174.165.80/CICDataset/ISCX-URL-2016/Dataset/ISCXURL2016.zip"
             "#Benign_list_big_final.csv", header=False, direct=False),
    )),
    DatasetManifest("clamp", "ClaMP: classification of malware with PE headers (Kumar et al.)",
        "https://github.com/urwithajit9/ClaMP", (
        _csv("ClaMP_Raw-5184.csv", "3f63b88f9d9563394ece5c28bf90fffede46f241dac0d30e0228bb78febaff37",
             1041232, 5184, 56, f"{_CLAMP}/ClaMP_Raw-5184.csv"),
    )),
    DatasetManifest("twitter-bots", "Stweeler account features (Gilani et al., WWW'16 Companion)",
        _STWEELER, (
        _bots("bots/bots.1k.csv", "34f685422886a3048c027e026f7b13f07c7223a38f6d4518380ef1901ffad312",
              77912, 498),
        _bots("bots/bots.100k.csv", "263b80ae6f9c6c025c0a2964d4731c07afa3abe6c41f358406a737025a2947d6",
              119103, 704),
        _bots("bots/bots.1M.csv", "95afa58d93536a143f449b0da8c77c7e7721198dfb8a35f381e10689dea7a2f8",
              44115, 265),
        _bots("bots/bots.10M.csv", "d226541a0d4d9aa237a8ca154fe6ebfaea01fa8aaccca48ab5367155a7123db6",
              5716, 25),
        _bots("humans/humans.1k.csv", "14851dc6f7adfe2706bfa6d5201b662f2546e9fecabdf5fd549b8bf096ce523d",
              125593, 791),
        _bots("humans/humans.100k.csv", "5288ebdb1e318831f2b2ca18dc7c68255e6f6c9754c9681e2190485d402e3624",
              124006, 734),
        _bots("humans/humans.1M.csv", "eb6578880c1654207a637ce466dad3243661080f6073c121d937657b5171a7ed",
              63866, 389),
        _bots("humans/humans.10M.csv", "2c712d4acc81b57bdfb37c1852d410384d00c3ab94c3a5707ca52906014daf41",
              5666, 25),
    )),
    DatasetManifest("spamassassin", "SpamAssassin public mail corpus",
        "https://spamassassin.apache.org/old/publiccorpus/", (
        _mail("easy-ham-1", "36881cfe5fb26a1c205c6323df45b57a89373db6bc5a7c46ecce252a7ef48543", 8603852, 2500,
              "20030228_easy_ham.tar.bz2", "easy_ham"),
        _mail("easy-ham-2", "9467f8ac8c47da5f96ac51ebd3abd86f6852573b1e76a5ff144c8f3b82cb028c", 5820997, 1400,
              "20030228_easy_ham_2.tar.bz2", "easy_ham_2"),
        _mail("hard-ham-1", "95b979d45356d0f53b44b3acf731d94a3281f13b137fb94a5d4097e9cd1ae201", 5701188, 250,
              "20030228_hard_ham.tar.bz2", "hard_ham"),
        _mail("spam-1", "04eec762462416030e97b10960a6dc7fa5344150782ace7aacbf9af76d06761b", 3552203, 500,
              "20030228_spam.tar.bz2", "spam"),
        _mail("spam-2", "d44fc3d080e60314c16bc61b43263759371685980b9d7e74f8f980b5bdc6a861", 8827777, 1396,
              "20050311_spam_2.tar.bz2", "spam_2"),
    )),
    DatasetManifest("top-sites", "Moz top 500 domains (MIT licence)",
        "https://github.com/Kikobeats/top-sites", (
        ManifestEntry("top-sites.json", "cf5f40ce7b4b3ffc34397034ca75242d57d2f5e83758cad2b47cb2ddb1147079",
                      54863, 500, FileFormat.JSON_ARRAY,
                      source="https://raw.githubusercontent.com/Kikobeats/top-sites/master/top-sites.json",
                      direct=False),  # the list is regenerated upstream; this is one snapshot of it
    )),
)}  # fmt: skip

DATASET_NAMES: tuple[str, ...] = tuple(MANIFESTS)


def dataset_manifest(name: str) -> DatasetManifest:
    try:
        return MANIFESTS[name]
    except KeyError:
        raise NotFound(f"unknown dataset {name!r}; known datasets: {', '.join(DATASET_NAMES)}") from None
