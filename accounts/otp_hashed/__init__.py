"""Backup codes stored as salted hashes: a django-otp device plugin (django-otp's own StaticToken keeps them
in plain text).

New codes are 24 characters from Crockford's base32 alphabet (120 random bits, shown as six groups of four).
ASVS 5.0 V6.5.2 allows a standard hash function for lookup secrets of 112 bits or more: nobody can search that
space, salt or not, so each is stored as HMAC-SHA-256 under its own random 128-bit salt, and checking a code
against the ten stored ones costs microseconds. A code that did not come from the generator (carried over
from django-otp's plain tokens, the demo data's `demo1111`) may be short, so it is stored with Django's
password hasher (PBKDF2, salted, slow) instead.
"""
