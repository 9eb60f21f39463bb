"""Bookings over the API: customers book and manage with their token, staff
run their own salon's bookings.

``inputs`` parses what clients send, ``outputs`` renders bookings, ``access``
decides who may read or act on one booking, and ``views`` joins them to the
services.
"""
