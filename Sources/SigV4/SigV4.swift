import COpenSSL
public enum SigV4Module {}
