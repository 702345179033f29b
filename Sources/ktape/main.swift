print("ktape")
