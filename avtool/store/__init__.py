"""The HDF5 feature store, the one contract between avtool's stages.

`reader` (the layout, `FeatureStore`), `shards` (`StoreSet`, `open_store`), `writer`
(`StoreWriter`: journal, atomic commit, one writer at a time), `merge`, `check`.
"""

from avtool.store.check import check_store
from avtool.store.merge import merge_stores
from avtool.store.reader import FORMAT, SCHEMA_VERSION, Feature, FeatureInfo, FeatureStore, ItemInfo
from avtool.store.shards import StoreSet, open_store, shard_paths
from avtool.store.writer import StoreWriter, check_item_arrays, write_journal_part, write_store_file

__all__ = ["FORMAT", "SCHEMA_VERSION", "Feature", "FeatureInfo", "FeatureStore", "ItemInfo",
           "StoreSet", "StoreWriter", "check_item_arrays", "check_store", "merge_stores",
           "open_store", "shard_paths", "write_journal_part", "write_store_file"]
