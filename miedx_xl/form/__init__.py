"""A division's form: layout, writing, reading one file, the read pool, the check, marked copies.

Kept empty of imports: worker processes of the read pool import `form.pool` without pandas.
"""
