"""A simulator of LINE's notification-message (PNP) platform and of an SMS gateway.

Built from LINE's public documentation; it is not LINE's software. The server modules
import nothing from the portal and nothing from Django.
"""
