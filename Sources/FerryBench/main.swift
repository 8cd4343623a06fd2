print("ferry-bench")
