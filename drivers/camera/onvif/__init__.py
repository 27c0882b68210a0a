"""ONVIF Profile S access: WS-Discovery, the device and media services, WS-UsernameToken and HTTP digest auth.

Hand-built SOAP rather than zeep: five operations with stable messages, read tolerantly (by local name, ignoring
what we do not need) so that cameras that stray from the WSDL still work; no 1 MB of WSDL/XSD to ship and parse
per process (zeep also tries to fetch the W3C/OASIS schemas the ONVIF WSDLs import); and WS-Discovery is
SOAP-over-UDP, which zeep does not do. The simulator's answers are checked against the real WSDLs by the tests,
with the third-party onvif-zeep client as the caller.
"""
