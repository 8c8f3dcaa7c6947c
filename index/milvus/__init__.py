"""The Milvus backend (``DOCQA_BACKEND=milvus``): every row and vector in Milvus collections.

``client`` (where, which collections), ``store`` (the ``Store`` interface over them) and
``write`` (applying a transaction), ``publish`` (the lexical side and the manifest), ``pipeline``
(the ``Indexer`` on them), ``search`` (the ``Searcher`` on them), ``migrate`` (a local index
copied in). The searches themselves are backends: ``index/backends/milvus.py``.
"""
