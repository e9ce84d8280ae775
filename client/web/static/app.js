/* prefd web client (issue 5) */
